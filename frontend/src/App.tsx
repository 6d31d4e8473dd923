/** CNN 101: the input panel, the overview and its explanation, all driven by the URL state. */
import { useRef } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { StatusBanner } from "./components/StatusBanner";
import { useElementWidth } from "./components/useElementWidth";
import { CurrentImage } from "./inputs/CurrentImage";
import { ExamplePicker } from "./inputs/ExamplePicker";
import { UploadArea } from "./inputs/UploadArea";
import { useExplorer } from "./state/useExplorer";
import { Explanation } from "./views/Explanation";
import { SelectedNeuron } from "./views/conv/SelectedNeuron";
import { Overview } from "./views/overview/Overview";
import { ScopeSelector } from "./views/ScopeSelector";

const OVERVIEW_HEIGHT = 560;

export function App() {
  const { url, setUrl, client, model, examples, activations, notice, upload, weights } = useExplorer();
  const main = useRef<HTMLDivElement>(null);
  const width = useElementWidth(main, 1000);
  const modelName = model?.name ?? "";
  const image = url.image;
  const shown = image?.kind === "example" ? examples.find((example) => example.id === image.id) : undefined;
  const caption = shown ? `${shown.class_name} (${shown.id})` : "your picture";

  return (
    <div className="app">
      <header className="app-header">
        <h1>CNN 101</h1>
        <p className="app-subtitle">See how a convolutional neural network classifies a picture.</p>
        {model && <p className="app-model" data-testid="model-version">Model {model.name}, version {model.version}</p>}
      </header>
      <StatusBanner notice={notice} />
      <div className="app-inputs">
        {activations && <CurrentImage bundle={activations.bundle} caption={caption} />}
        <ExamplePicker
          examples={examples}
          imageUrl={(id) => client.exampleImageUrl(id, modelName)}
          current={url.image}
          onPick={(id) => setUrl({ image: { kind: "example", id } })}
        />
        <UploadArea onImage={(file, name) => void upload(file, name)} disabled={model === null} />
        <ScopeSelector scope={url.scope} onChange={(scope) => setUrl({ scope })} />
      </div>
      <div className="app-body">
        <main ref={main} className="app-main">
          {model && activations ? (
            <>
              <ErrorBoundary what="overview" resetKey={activations.bundle.imageDigest}>
                <Overview
                  graph={model.description} activations={activations} scope={url.scope}
                  width={Math.max(width, 720)} height={OVERVIEW_HEIGHT}
                  onSelectNeuron={(layer, index) => setUrl({ neuron: { layer, index } })}
                  selected={url.neuron}
                />
              </ErrorBoundary>
              <ErrorBoundary what="intermediate view" resetKey={`${activations.bundle.imageDigest}/${url.neuron?.layer ?? ""}:${url.neuron?.index ?? ""}`}>
                <SelectedNeuron
                  graph={model.description} activations={activations} weights={weights}
                  selection={url.neuron} scope={url.scope} onClose={() => setUrl({ neuron: null })}
                />
              </ErrorBoundary>
            </>
          ) : (
            <div className="overview-placeholder" style={{ height: OVERVIEW_HEIGHT }}>The network will appear here.</div>
          )}
        </main>
        <Explanation />
      </div>
    </div>
  );
}
