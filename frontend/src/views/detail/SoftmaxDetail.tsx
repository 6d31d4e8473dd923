/**
 * The softmax detail view of one class: the classes' shares of the sum of exp(z) drawn as
 * one bar, and the formula written out term by term. The table of every logit is in the
 * flatten view behind it (one table per screen); pointing at a share traces its term.
 */
import { useMemo, useState } from "react";
import { softmaxTerms } from "../../math/classifier";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { denseOf } from "../flatten/classifierData";
import { SoftmaxFormula, type SoftmaxData } from "../flatten/SoftmaxFormula";
import { DetailFrame } from "./DetailFrame";

interface SoftmaxDetailProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  origin: string | null;
  onBack: () => void;
}

const BAR_WIDTH = 420;
/** Width of one label character at 12 px, to name only the shares wide enough for it. */
const LABEL_CHAR_WIDTH = 7;

export function softmaxData(
  graph: ModelGraph,
  layer: Layer,
  index: number,
  activations: Activations,
): SoftmaxData {
  const dense = denseOf(graph, layer);
  const logits = activations.outputs.get(dense?.name ?? "")?.data;
  if (!dense || !logits) throw new Error(`The scores behind ${layer.name} are missing.`);
  const classNames = Array.from(
    { length: logits.length },
    (_, i) => graph.classes[i]?.name ?? `class ${i + 1}`,
  );
  const softmax = softmaxTerms(logits, index);
  return {
    softmax,
    classIndex: index,
    className: classNames[index] ?? "",
    classNames,
    logits,
    modelProbability: activations.bundle.probabilities[index] ?? softmax.probability,
  };
}

export function SoftmaxDetail({
  graph,
  layer,
  index,
  activations,
  origin,
  onBack,
}: SoftmaxDetailProps) {
  const data = useMemo(
    () => softmaxData(graph, layer, index, activations),
    [graph, layer, index, activations],
  );
  const [traced, setTraced] = useState<number | null>(null);
  let left = 0;
  return (
    <DetailFrame
      title={`${data.className}: softmax in detail`}
      width={620}
      testId="softmax-detail"
      origin={origin}
      backLabel="Back to the intermediate view"
      onBack={onBack}
      help={
        <>
          The network ends with one score per class (a <em>logit</em>); scores can be any number,
          negative too. Softmax turns them into probabilities: it takes e to the power of each score
          (exp, always positive, and a bigger score gets a much bigger exp), then divides each by
          the sum of all of them, so the shares add up to exactly 1 (100%). The bar shows each
          class’s share (named where it is wide enough); point at a share to find its term in the
          sum.
        </>
      }
    >
      <svg
        className="softmax-shares"
        width={BAR_WIDTH}
        height={50}
        role="img"
        aria-label={`Shares of the classes; ${data.className} has ${(data.softmax.probability * 100).toFixed(2)} percent`}
        onPointerLeave={() => setTraced(null)}
      >
        {data.softmax.exps.map((value, i) => {
          const width = (value / data.softmax.total) * BAR_WIDTH;
          const x = left;
          left += width;
          const label = data.classNames[i] ?? "";
          return (
            <g key={i}>
              <rect
                x={x}
                y={4}
                width={Math.max(0, width)}
                height={22}
                className={[
                  "share",
                  i === index ? "share-selected" : "",
                  i === traced ? "share-traced" : "",
                ].join(" ")}
                onPointerEnter={() => setTraced(i)}
                data-testid="softmax-share"
                data-share={value / data.softmax.total}
              >
                <title>{`${label}: ${((value / data.softmax.total) * 100).toFixed(2)}%`}</title>
              </rect>
              {label.length * LABEL_CHAR_WIDTH <= width && (
                <text x={x + width / 2} y={44} textAnchor="middle" className="share-label">
                  {label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <SoftmaxFormula data={data} traced={traced} prompt="Point at a share to follow its term." />
    </DetailFrame>
  );
}
