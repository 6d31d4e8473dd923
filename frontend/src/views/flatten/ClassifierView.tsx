/**
 * The flatten intermediate view and the softmax view of one class: the last maps
 * unrolled into one long list, each value times its weight into the class's score (logit),
 * then softmax turning the ten scores into probabilities. It opens in place, inside the
 * overview: a gap opens between the last map column and the output column for the
 * flattened lines and their edges (see overview/expand.ts); the lens, the softmax panel and
 * the controls sit in a strip right under the overview. Without an overview (a lesson may
 * hide it) it stands on its own.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { createPortal } from "react-dom";
import type { Scope } from "../../math/scopes";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { DivergingLegend } from "../../components/Legend";
import { fadeIn, fadeOut, prefersReducedMotion, shrinkInto, useGrowFrom } from "../motion";
import { requestRoom, useRoom, type InPlaceRoom } from "../overview/inplace";
import { classifierData } from "./classifierData";
import { FlattenLens } from "./FlattenLens";
import {
  FlattenLines,
  gapFan,
  IN_PLACE_GAP,
  standaloneFan,
  type FanPlacement,
} from "./FlattenLines";
import {
  alignedFlattenLayout,
  flattenLayout,
  lensWindow,
  type FlattenLayout,
} from "./flattenLayout";
import { SoftmaxPanel } from "./SoftmaxPanel";

interface ClassifierViewProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  scope: Scope;
  /** The overview class row this view grows out of; focus goes back to it on closing. */
  origin: string | null;
  /** A detail view is open below: this view steps back (focus + context). */
  context: boolean;
  /** Opens the softmax detail; absent when a lesson hides it. */
  onSoftmaxDetail?: () => void;
  onClose: () => void;
}

/** Height the groups of the flatten fan share: the fan and its lens fit a 768 px window. */
const FAN_HEIGHT = 520;
const FAN_EDGES_WIDTH = 110;
/** Elements the lens shows on each side of the traced one (fewer in the strip under the overview). */
const LENS_RADIUS = 6;
const STRIP_LENS_RADIUS = 3;
/** Room left above the view when it scrolls into sight. */
const SCROLL_MARGIN = 8;
/** The middle of a class row below its top (where the overview's edges meet it too). */
const CLASS_ROW_MIDDLE = 9;

/** The fan in the overview's gap: each channel's group on its neuron's row in the last map column. */
function inPlaceFan(
  room: Extract<InPlaceRoom, { host: HTMLElement }>,
  index: number,
  shape: readonly [number, number, number],
): { layout: FlattenLayout; placement: FanPlacement } | null {
  const { layout, gap } = room;
  const source = layout.columns[gap.sourceColumn];
  const row = layout.columns[gap.targetColumn]?.neurons[index];
  if (!source || !row || source.neurons.length !== shape[2]) return null;
  const tops = source.neurons.map((neuron) => neuron.y);
  return {
    layout: alignedFlattenLayout(shape, tops, source.width),
    placement: gapFan({ width: layout.width, height: layout.height }, source.x, gap.left, {
      x: gap.right,
      y: row.y + CLASS_ROW_MIDDLE,
    }),
  };
}

/**
 * Brings the strip under the overview into sight, and as much of the overview above it as
 * fits: the overview's top goes to the screen's top unless the strip would then run off
 * the bottom (the lens and the softmax panel are what the student reads), but never so far
 * that the selected class row (`origin`) leaves the screen.
 */
function showWhole(strip: HTMLElement, origin: string | null): void {
  const overview = document.querySelector('[data-testid="overview"]');
  const top = (overview ?? strip).getBoundingClientRect().top - SCROLL_MARGIN;
  const overflow = strip.getBoundingClientRect().bottom + SCROLL_MARGIN - window.innerHeight;
  const row = origin === null ? null : document.querySelector(origin);
  const rowTop = row ? row.getBoundingClientRect().top - SCROLL_MARGIN : Infinity;
  const by = Math.min(Math.max(top, overflow), rowTop);
  if (by !== 0) window.scrollBy({ top: by, behavior: "instant" });
}

export function ClassifierView({
  graph,
  layer,
  index,
  activations,
  weights,
  scope,
  origin,
  context,
  onSoftmaxDetail,
  onClose,
}: ClassifierViewProps) {
  const data = useMemo(
    () => classifierData(graph, layer, index, activations.outputs, weights, scope),
    [graph, layer, index, activations, weights, scope],
  );
  const standaloneLayout = useMemo(
    () => flattenLayout(data.sourceShape, FAN_HEIGHT),
    [data.sourceShape],
  );
  // The traced element, and the one the lens is centred on: pointing into the lens traces
  // an element without moving the lens under the pointer.
  const [trace, setTrace] = useState<{ traced: number; anchor: number } | null>(null);
  const section = useRef<HTMLElement>(null);
  const [closing, setClosing] = useState(false);
  // Ask the overview for room before the output column; without an overview (or room), stand alone.
  const [noOverview] = useState(() => document.querySelector('[data-testid="overview"]') === null);
  useLayoutEffect(() => {
    requestRoom({ layer: layer.name, index, closing, gapWidth: IN_PLACE_GAP });
  }, [layer.name, index, closing]);
  useLayoutEffect(() => () => requestRoom(null), []);
  const offered = useRoom();
  const room = offered?.layer === layer.name ? offered : null;
  const inPlace = room?.host ? inPlaceFan(room, index, data.sourceShape) : null;
  const standalone = noOverview || room?.host === null || (room !== null && inPlace === null);
  const fan =
    inPlace ??
    (standalone
      ? { layout: standaloneLayout, placement: standaloneFan(standaloneLayout, FAN_EDGES_WIDTH) }
      : null);
  const shown = fan !== null;
  const opensInPlace = inPlace !== null;
  const drawn = useRef(false);
  useEffect(() => {
    const element = section.current;
    if (!shown || drawn.current || !element) return;
    drawn.current = true;
    if (opensInPlace) {
      showWhole(element, origin);
      fadeIn(element);
    } else
      // Scrolled to where the view lies before it grows out of its origin (a transformed
      // box would send the scroll to the origin instead).
      window.scrollTo({
        top: window.scrollY + element.getBoundingClientRect().top - SCROLL_MARGIN,
        behavior: prefersReducedMotion() ? "auto" : "smooth",
      });
    // Keyboard and screen-reader users land in the view they opened (Escape returns).
    element.focus({ preventScroll: true });
  }, [shown, opensInPlace, origin]);
  // The overview fits its maps above the strip once it has measured it: show both again.
  const roomHeight = room?.host ? room.layout.height : null;
  useEffect(() => {
    if (drawn.current && roomHeight !== null && section.current) showWhole(section.current, origin);
  }, [roomHeight, origin]);
  useGrowFrom(section, origin);
  const [height, width, channels] = data.sourceShape;
  const count = data.flat.length;
  const traced = trace?.traced ?? null;
  const lens =
    trace === null
      ? null
      : lensWindow(
          Math.floor(trace.anchor / channels),
          height * width,
          opensInPlace ? STRIP_LENS_RADIUS : LENS_RADIUS,
        );
  const close = () => {
    const done = () => {
      onClose();
      if (origin !== null)
        document.querySelector<HTMLElement>(origin)?.focus({ preventScroll: true });
    };
    if (!opensInPlace) shrinkInto(section.current, origin, done);
    // The view fades while the columns slide back, then it goes (at once with reduced motion).
    else if (prefersReducedMotion()) done();
    else {
      setClosing(true);
      fadeOut(section.current, done);
    }
  };
  if (fan === null) return null;

  const lines = (
    <FlattenLines
      data={data}
      layout={fan.layout}
      placement={fan.placement}
      traced={traced}
      lens={lens}
      onTrace={(index) => setTrace({ traced: index, anchor: index })}
    />
  );
  const legends = (
    <div className="conv-legends" data-testid="flatten-legends">
      <DivergingLegend magnitude={data.sourceMagnitude} label="Values (maps, lines)" width={140} />
      <DivergingLegend magnitude={data.weightMagnitude} label="Weights (edges)" width={140} />
    </div>
  );
  const flattenLens = (
    <FlattenLens
      data={data}
      traced={traced}
      lens={lens}
      onTrace={(index) => setTrace((now) => ({ traced: index, anchor: now?.anchor ?? index }))}
    />
  );
  const view = (
    <section
      ref={section}
      className={`classifier-view${opensInPlace ? " classifier-in-place" : ""}${context ? " view-context" : ""}`}
      aria-label={`How the score of ${data.className} is computed`}
      data-testid="flatten-view"
      data-count={count}
      tabIndex={-1}
      style={opensInPlace ? { width: fan.placement.width } : undefined}
      onKeyDown={(event) => {
        if (event.key !== "Escape") return;
        event.stopPropagation();
        close();
      }}
    >
      <header className="conv-view-header">
        <h2>{data.className}: flatten, weigh, add up, softmax</h2>
        {onSoftmaxDetail && (
          <button
            type="button"
            className="header-end"
            onClick={onSoftmaxDetail}
            data-testid="open-softmax-detail"
          >
            Softmax in detail
          </button>
        )}
        <button type="button" onClick={close} data-testid="close-flatten">
          Back to the overview
        </button>
      </header>
      {opensInPlace ? (
        <p className="conv-help">
          Each of the {count} numbers of <strong>{data.sourceLayer.name}</strong> (a line beside its
          map) times its weight (the edge), plus a bias: this class’s <em>logit</em>.
        </p>
      ) : (
        <p className="conv-help">
          The {channels} maps of <strong>{data.sourceLayer.name}</strong> ({height}×{width} each)
          are unrolled into one list of {count} numbers (<strong>{data.flattenLayer.name}</strong>
          ): beside each map, its {height * width} numbers in reading order, one short line each,
          coloured like its pixel. Every number is multiplied by its own weight (the edge colour)
          and the products are added up with a bias into this class’s score, its <em>logit</em>;
          softmax turns the scores of all classes into probabilities. Point at a map or its lines to
          read them in the lens, or tab to the lines and use the arrow keys.
        </p>
      )}
      {opensInPlace ? (
        <>
          <div className="classifier-body classifier-strip-row">
            <div>
              {flattenLens}
              {legends}
            </div>
            <SoftmaxPanel data={data} />
          </div>
          {/* After the controls, for screen readers: it is drawn over the overview (its gap). */}
          <div
            className="flatten-gap-layer"
            style={{ width: fan.placement.width, height: fan.placement.height }}
          >
            {lines}
          </div>
        </>
      ) : (
        <div className="classifier-body">
          <div className="classifier-flatten">
            <div className="classifier-fan">
              {lines}
              {legends}
            </div>
            {flattenLens}
          </div>
          <SoftmaxPanel data={data} />
        </div>
      )}
    </section>
  );
  return opensInPlace && room?.host ? createPortal(view, room.host) : view;
}
