/** CNN 101: the input panel, the overview and its explanation, all driven by the URL state. */
import { lazy, Suspense, useCallback, useMemo, useRef } from "react";
import { AppTabs, TABS } from "./components/AppTabs";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { useInputStyle } from "./components/inputStyle";
import { InputStyleToggle } from "./components/InputStyleToggle";
import { usePalette } from "./components/palette";
import { moveFocusWithin } from "./components/roving";
import { PaletteToggle } from "./components/PaletteToggle";
import { StatusBanner } from "./components/StatusBanner";
import { useElementWidth } from "./components/useElementWidth";
import { ChannelToggles } from "./inputs/ChannelToggles";
import { CurrentImage } from "./inputs/CurrentImage";
import { ExamplePicker } from "./inputs/ExamplePicker";
import { MoreInputs, prefetchInputPanels } from "./inputs/MoreInputs";
import { UploadArea } from "./inputs/UploadArea";
import {
  neuronKindOf,
  openedSelection,
  parseLesson,
  shownTab,
  shows,
  viewOfNeuron,
  type Part,
} from "./lesson/lesson";
import { LessonBanner } from "./lesson/LessonBanner";
import { PresenterBanner } from "./presenter/PresenterBanner";
import { usePresentation } from "./presenter/usePresentation";
import { useExplorer } from "./state/useExplorer";
import { useIdlePrefetch } from "./state/useIdlePrefetch";
import { sameNeuron } from "./url/state";
import { Explanation } from "./views/Explanation";
import { Overview } from "./views/overview/Overview";
import { ScopeSelector } from "./views/ScopeSelector";
import { ModelChoice } from "./model/ModelChoice";

const OVERVIEW_HEIGHT = 560;
// The narrowest overview drawn: a 1280 x 720 projector at 200 % zoom (a 640 px page) fits
// whole; below this (a phone held upright) the main column scrolls sideways instead.
const MIN_OVERVIEW_WIDTH = 480;

// Loaded after the first overview when the browser is idle (useIdlePrefetch), or when first
// opened, so the first overview does not wait for their code.
const loadNeuronViews = () => import("./views/conv/SelectedNeuron");
const SelectedNeuron = lazy(() =>
  loadNeuronViews().then((module) => ({ default: module.SelectedNeuron })),
);
const Playground = lazy(() =>
  import("./playground/Playground").then((module) => ({ default: module.Playground })),
);

export function App() {
  const {
    url,
    setUrl: applyUrl,
    model,
    examples,
    activations,
    notice,
    upload,
    prefetchExample,
    prefetchWeights,
    queries,
    weights,
  } = useExplorer();
  const prefetchAfterOverview = useCallback(() => {
    void loadNeuronViews();
    prefetchWeights();
    prefetchInputPanels();
  }, [prefetchWeights]);
  useIdlePrefetch(activations !== null, prefetchAfterOverview);
  // Presenter mode (presenter/): the teacher's states are applied with applyUrl; this page's
  // own changes go through setUrl, which leaves follow mode.
  const presentation = usePresentation(url, applyUrl);
  const setUrl = presentation.setUrl;
  const main = useRef<HTMLDivElement>(null);
  const width = useElementWidth(main, 1000);
  // The lesson of the link (lesson/lesson.ts): what is hidden is not rendered at all, and a
  // neuron or detail view of a hidden view that the URL names is not opened.
  const read = useMemo(() => parseLesson(url.lesson), [url.lesson]);
  const lesson = read.lesson;
  const show = (part: Part) => shows(lesson, part);
  const tab = shownTab(lesson, url.tab);
  const graph = model?.description ?? null;
  const opened = openedSelection(
    lesson,
    url.neuron,
    url.detail,
    neuronKindOf(graph, url.neuron?.layer),
  );
  const canOpen = (layer: string) => {
    const kind = neuronKindOf(graph, layer);
    return kind === null || show(viewOfNeuron(kind));
  };
  const palette = usePalette();
  const inputStyle = useInputStyle();
  const image = url.image;
  const shown =
    image?.kind === "example" ? examples.find((example) => example.id === image.id) : undefined;
  // Loads a thumbnail's bundle once the pointer rests on it (not while it sweeps across the
  // row: every bundle is ~370 KB on the classroom's network), or at once when it is pressed
  // (a tap's click comes ~100 ms later) or focused.
  const intent = useRef<number | undefined>(undefined);
  const prefetch = (target: EventTarget, delayMs: number) => {
    window.clearTimeout(intent.current);
    const id =
      target instanceof Element
        ? target.closest<HTMLElement>("[data-example]")?.dataset.example
        : undefined;
    if (id === undefined) return;
    intent.current = window.setTimeout(() => prefetchExample(id), delayMs);
  };
  // The caption names the picture on screen, which during an outage is still the last one
  // that loaded, not the newly chosen example.
  const onScreen = activations
    ? examples.find((example) => example.digest === activations.bundle.imageDigest)
    : shown;
  const caption = onScreen ? `${onScreen.class_name} (${onScreen.id})` : "your picture";

  return (
    <div className="app">
      {/* The first Tab stop: past the header and the inputs, straight to the network. */}
      {tab === "explorer" && show("overview") && (
        <a
          className="skip-link"
          href="#network"
          onClick={(event) => {
            event.preventDefault();
            // The overview's one Tab stop (roving tabindex): the first neuron, or the last focused.
            document
              .querySelector<HTMLElement>('[data-testid="overview"] button[tabindex="0"]')
              ?.focus();
          }}
        >
          Skip to the network
        </a>
      )}
      {/* Inside the study's learning phase (study.html) the study page has its own header. */}
      <header className="app-header" hidden={url.embed === "study"}>
        <h1>CNN 101</h1>
        <p className="app-subtitle">See how a convolutional neural network classifies a picture.</p>
        <AppTabs
          tab={tab}
          onChange={(next) => setUrl({ tab: next })}
          shown={TABS.map((entry) => entry.id).filter(show)}
        />
        {model && show("model") && (
          <ModelChoice
            queries={queries}
            name={model.name}
            version={model.version}
            // Layer names and digests belong to one model; an example is shown by every model.
            onChoose={(name) =>
              setUrl({
                model: name,
                version: null,
                neuron: null,
                detail: null,
                image: image?.kind === "example" ? image : null,
              })
            }
          />
        )}
      </header>
      <StatusBanner notice={notice} />
      {url.embed !== "study" && <PresenterBanner presentation={presentation} />}
      <LessonBanner read={read} />
      {tab === "playground" && (
        <Suspense fallback={null}>
          <Playground />
        </Suspense>
      )}
      {/* A thumbnail under the pointer or focus starts loading its bundle before the click. */}
      <div
        className="app-inputs"
        hidden={tab !== "explorer"}
        onPointerOver={(event) => prefetch(event.target, 60)}
        onPointerDown={(event) => prefetch(event.target, 0)}
        onFocus={(event) => prefetch(event.target, 0)}
      >
        {activations && <CurrentImage bundle={activations.bundle} caption={caption} />}
        {activations && show("channels") && (
          <ChannelToggles
            bundle={activations.bundle}
            image={url.image}
            onImage={upload}
            onShow={(shown) => setUrl({ image: shown })}
          />
        )}
        {show("examples") && (
          <ExamplePicker
            examples={examples}
            current={url.image}
            onPick={(id) => setUrl({ image: { kind: "example", id } })}
          />
        )}
        {show("upload") && (
          <UploadArea onImage={(file, name) => void upload(file, name)} disabled={model === null} />
        )}
        {(show("scope") || show("palette")) && (
          <div className="colour-settings">
            {show("scope") && (
              <ScopeSelector scope={url.scope} onChange={(scope) => setUrl({ scope })} />
            )}
            {show("palette") && (
              // One Tab stop for both switches; the arrow keys move between them.
              <div role="toolbar" aria-label="Display options" onKeyDown={moveFocusWithin}>
                <PaletteToggle tabIndex={0} />
                <InputStyleToggle tabIndex={-1} />
              </div>
            )}
          </div>
        )}
        <MoreInputs
          onImage={upload}
          disabled={model === null}
          panels={(["camera", "drawing"] as const).filter(show)}
        />
      </div>
      {/* A new palette or input style remounts the views, so every canvas repaints with it. */}
      <div className="app-body" key={`${palette}/${inputStyle}`} hidden={tab !== "explorer"}>
        <main ref={main} className="app-main">
          {/* Until the chosen model's first bundle arrives, the last one belongs to another graph. */}
          {model &&
          activations &&
          activations.bundle.modelName === model.name &&
          activations.bundle.modelVersion === model.version ? (
            <>
              {show("overview") && (
                <ErrorBoundary what="overview" resetKey={activations.bundle.imageDigest}>
                  <Overview
                    graph={model.description}
                    activations={activations}
                    scope={url.scope}
                    width={Math.max(width, MIN_OVERVIEW_WIDTH)}
                    onSelectNeuron={(layer, index) =>
                      setUrl({ neuron: { layer, index }, detail: null })
                    }
                    selected={opened.neuron}
                    canOpen={canOpen}
                  />
                </ErrorBoundary>
              )}
              <ErrorBoundary
                what="intermediate view"
                resetKey={`${activations.bundle.imageDigest}/${url.neuron?.layer ?? ""}:${url.neuron?.index ?? ""}`}
              >
                {opened.neuron !== null && (
                  <Suspense fallback={<p className="status">Loading the view…</p>}>
                    <SelectedNeuron
                      graph={model.description}
                      activations={activations}
                      weights={weights}
                      selection={opened.neuron}
                      detail={opened.detail}
                      scope={url.scope}
                      details={{ conv: show("conv-detail"), softmax: show("softmax") }}
                      onDetail={(of, detail, replace) =>
                        setUrl((now) => (sameNeuron(now.neuron, of) ? { detail } : null), replace)
                      }
                      onClose={(of) =>
                        setUrl((now) =>
                          sameNeuron(now.neuron, of) ? { neuron: null, detail: null } : null,
                        )
                      }
                    />
                  </Suspense>
                )}
              </ErrorBoundary>
            </>
          ) : (
            <div className="overview-placeholder" style={{ height: OVERVIEW_HEIGHT }}>
              The network will appear here.
            </div>
          )}
        </main>
        <Explanation graph={graph} selection={opened.neuron} detail={opened.detail} />
      </div>
    </div>
  );
}
