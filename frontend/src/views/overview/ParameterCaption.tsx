/**
 * Under the overview: what each layer learns (its parameters, and how the count is made)
 * and how large a patch of the picture one of its values sees. The conventional tutorial
 * prints the same numbers (pages 9 and 10), so both arms of a study are taught the same facts.
 */
import type { ModelGraph } from "../../model/graph";
import { formatCount, parameterCounts, receptiveFields } from "./layerFacts";

export function ParameterCaption({ graph }: { graph: ModelGraph }) {
  const counts = parameterCounts(graph);
  const total = counts.reduce((sum, count) => sum + count.total, 0);
  const fields = [...receptiveFields(graph)].filter(
    ([name]) => graph.layers.find((layer) => layer.name === name)?.type !== "relu",
  );
  return (
    <figcaption
      className="layer-facts"
      data-testid="layer-facts"
      style={{ fontSize: "0.85rem", color: "#444", marginTop: 6 }}
    >
      <span data-testid="parameter-counts">
        <strong>Parameters</strong> (learned weights and biases):{" "}
        {counts.map((count, index) => (
          <span key={count.layer} data-parameters-of={count.layer}>
            {index > 0 && "; "}
            {count.layer} {formatCount(count.total)} = {count.formula}
          </span>
        ))}
        ; total {formatCount(total)}. ReLU, max pooling and flatten have none.
      </span>{" "}
      <span data-testid="receptive-fields">
        <strong>Receptive field</strong> (the patch of the picture one value sees):{" "}
        {fields
          .filter(([name]) => name !== "input")
          .map(([name, side]) => `${name} ${side}×${side}`)
          .join(", ")}{" "}
        pixels.
      </span>
    </figcaption>
  );
}
