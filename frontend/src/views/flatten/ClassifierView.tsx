/**
 * The flatten intermediate view and the softmax view of one class: the last maps
 * unrolled into one long list, each value times its weight into the class's score (logit),
 * then softmax turning the ten scores into probabilities.
 */
import { useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Scope } from "../../math/scopes";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { DivergingLegend } from "../../components/Legend";
import { prefersReducedMotion, shrinkInto, useGrowFrom } from "../motion";
import { classifierData } from "./classifierData";
import { FlattenLens } from "./FlattenLens";
import { FlattenLines } from "./FlattenLines";
import { flattenLayout, lensWindow } from "./flattenLayout";
import { SoftmaxPanel } from "./SoftmaxPanel";

interface ClassifierViewProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  scope: Scope;
  /** The overview class row this view grows out of. */
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
/** Elements the lens shows on each side of the traced one. */
const LENS_RADIUS = 6;
/** Room left above the view when it scrolls into sight. */
const SCROLL_MARGIN = 8;

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
  const layout = useMemo(() => flattenLayout(data.sourceShape, FAN_HEIGHT), [data.sourceShape]);
  // The traced element, and the one the lens is centred on: pointing into the lens traces
  // an element without moving the lens under the pointer.
  const [trace, setTrace] = useState<{ traced: number; anchor: number } | null>(null);
  const section = useRef<HTMLElement>(null);
  // Scrolled to where the view lies before it starts growing out of its origin (a
  // transformed box would send the scroll to the origin instead).
  useLayoutEffect(() => {
    const top = section.current?.getBoundingClientRect().top;
    if (top === undefined) return;
    window.scrollTo({
      top: window.scrollY + top - SCROLL_MARGIN,
      behavior: prefersReducedMotion() ? "auto" : "smooth",
    });
  }, []);
  useGrowFrom(section, origin);
  const [height, width, channels] = data.sourceShape;
  const count = data.flat.length;
  const traced = trace?.traced ?? null;
  const lens =
    trace === null
      ? null
      : lensWindow(Math.floor(trace.anchor / channels), height * width, LENS_RADIUS);

  return (
    <section
      ref={section}
      className={`classifier-view${context ? " view-context" : ""}`}
      aria-label={`How the score of ${data.className} is computed`}
      data-testid="flatten-view"
      data-count={count}
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
        <button
          type="button"
          onClick={() => shrinkInto(section.current, origin, onClose)}
          data-testid="close-flatten"
        >
          Back to the overview
        </button>
      </header>
      <p className="conv-help">
        The {channels} maps of <strong>{data.sourceLayer.name}</strong> ({height}×{width} each) are
        unrolled into one list of {count} numbers (<strong>{data.flattenLayer.name}</strong>):
        beside each map, its {height * width} numbers in reading order, one short line each,
        coloured like its pixel. Every number is multiplied by its own weight (the edge colour) and
        the products are added up with a bias into this class’s score, its <em>logit</em>; softmax
        turns the scores of all classes into probabilities. Point at a map or its lines to read them
        in the lens, or tab to the lines and use the arrow keys.
      </p>
      <div className="classifier-body">
        <div className="classifier-flatten">
          <div className="classifier-fan">
            <FlattenLines
              data={data}
              layout={layout}
              fanWidth={FAN_EDGES_WIDTH}
              traced={traced}
              lens={lens}
              onTrace={(index) => setTrace({ traced: index, anchor: index })}
            />
            <div className="conv-legends" data-testid="flatten-legends">
              <DivergingLegend
                magnitude={data.sourceMagnitude}
                label="Values (maps, lines)"
                width={140}
              />
              <DivergingLegend
                magnitude={data.weightMagnitude}
                label="Weights (edges)"
                width={140}
              />
            </div>
          </div>
          <FlattenLens
            data={data}
            traced={traced}
            lens={lens}
            onTrace={(index) =>
              setTrace((now) => ({ traced: index, anchor: now?.anchor ?? index }))
            }
          />
        </div>
        <SoftmaxPanel data={data} />
      </div>
    </section>
  );
}
