/**
 * The flatten intermediate view and the softmax view of one class: the last maps
 * unrolled into one long list, each value times its weight into the class's score (logit),
 * then softmax turning the ten scores into probabilities.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { flattenSource, rounded } from "../../math/classifier";
import type { Scope } from "../../math/scopes";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { DivergingLegend } from "../../components/Legend";
import { shrinkInto, useGrowFrom } from "../motion";
import { classifierData } from "./classifierData";
import { FlattenLines } from "./FlattenLines";
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

const LINES_WIDTH = 360;
const reducedMotionQuery = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

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
  const [hovered, setHovered] = useState<number | null>(null);
  const section = useRef<HTMLElement>(null);
  useEffect(() => {
    section.current?.scrollIntoView({
      behavior: reducedMotionQuery() ? "auto" : "smooth",
      block: "start",
    });
  }, []);
  useGrowFrom(section, origin);
  const [height, width, channels] = data.sourceShape;
  const count = data.flat.length;
  const source = hovered === null ? null : flattenSource(hovered, data.sourceShape);
  const value = hovered === null ? 0 : (data.flat[hovered] ?? 0);
  const weight = hovered === null ? 0 : (data.weights[hovered] ?? 0);

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
        unrolled into one list of {count} numbers (<strong>{data.flattenLayer.name}</strong>); each
        short line is one number, coloured like its pixel. Every number is multiplied by its own
        weight (the edge colour: blue positive, red negative) and the products are added up with a
        bias into this class’s score, its <em>logit</em>. Softmax then turns the scores of all
        classes into probabilities that add up to 1. Point at a pixel or a line, or tab here and use
        the arrow keys.
      </p>
      <div className="classifier-body">
        <div className="classifier-lines">
          <FlattenLines data={data} width={LINES_WIDTH} hovered={hovered} onHover={setHovered} />
          <div className="conv-legends" data-testid="flatten-legends">
            <DivergingLegend
              magnitude={data.sourceMagnitude}
              label="Values (maps and lines)"
              width={160}
            />
            <DivergingLegend magnitude={data.weightMagnitude} label="Weights (edges)" width={160} />
          </div>
          <p className="flatten-readout" data-testid="flatten-readout" aria-live="polite">
            {source === null ? (
              "Point at a line to see its value × weight."
            ) : (
              <>
                {data.sourceLayer.name} map {source.channel + 1}, row {source.y + 1}, column{" "}
                {source.x + 1}: {rounded(value, 4).text} × weight {rounded(weight, 4).text} ={" "}
                {rounded(value * weight, 4).text}
              </>
            )}
          </p>
          <p
            className="logit-formula"
            data-testid="logit-formula"
            data-logit={data.logit.logit}
            data-model={data.logits[index]}
          >
            logit = Σ value × weight + bias = {rounded(data.logit.sum, 4).text} +{" "}
            {rounded(data.logit.bias, 4).text} ={" "}
            <strong>{rounded(data.logit.logit, 4).text}</strong> (rounded to 4 significant digits)
          </p>
        </div>
        <SoftmaxPanel data={data} />
      </div>
    </section>
  );
}
