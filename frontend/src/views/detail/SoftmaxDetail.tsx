/**
 * The softmax detail view of one class: every class's score (logit), exp of it, and the
 * class's share of their sum, drawn as one bar split into the classes' shares.
 */
import { useMemo } from "react";
import { softmaxTerms } from "../../math/classifier";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { denseOf } from "../flatten/classifierData";
import { SoftmaxPanel, type SoftmaxData } from "../flatten/SoftmaxPanel";
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
          class’s share.
        </>
      }
    >
      <svg
        className="softmax-shares"
        width={BAR_WIDTH}
        height={30}
        role="img"
        aria-label={`Shares of the classes; ${data.className} has ${(data.softmax.probability * 100).toFixed(2)} percent`}
      >
        {data.softmax.exps.map((value, i) => {
          const width = (value / data.softmax.total) * BAR_WIDTH;
          const x = left;
          left += width;
          return (
            <rect
              key={i}
              x={x}
              y={4}
              width={Math.max(0, width)}
              height={22}
              className={i === index ? "share share-selected" : "share"}
              data-testid="softmax-share"
              data-share={value / data.softmax.total}
            >
              <title>{`${data.classNames[i] ?? ""}: ${((value / data.softmax.total) * 100).toFixed(2)}%`}</title>
            </rect>
          );
        })}
      </svg>
      <SoftmaxPanel data={data} />
    </DetailFrame>
  );
}
