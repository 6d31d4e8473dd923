/**
 * Facts about a layer that the conventional tutorial prints too (docs/study.md, "Same facts
 * in both arms"): how many parameters it learns, and how large a patch of the input image
 * one of its values sees. Computed from the model's own description, never typed in.
 */
import type { ModelGraph } from "../../model/graph";

export interface ParameterCount {
  layer: string;
  weights: number;
  biases: number;
  total: number;
  /** How the total is made, e.g. "10 filters × 3×3×10 weights + 10 biases". */
  formula: string;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A number as the tutorial writes it: 19,920. */
export const formatCount = (value: number) => value.toLocaleString("en");

/** The layer's learned parameters, or null for a layer without any (ReLU, pooling...). */
export function parameterCount(graph: ModelGraph, layer: string): ParameterCount | null {
  const tensors = graph.weights.tensors.filter((tensor) => tensor.layer === layer);
  const kernel = tensors.find((tensor) => tensor.name === "kernel");
  if (!kernel) return null;
  const weights = product(kernel.shape);
  const biases = tensors
    .filter((tensor) => tensor.name === "bias")
    .reduce((sum, tensor) => sum + product(tensor.shape), 0);
  const shape = kernel.shape;
  const outputs = shape[shape.length - 1] ?? 0;
  const formula =
    shape.length === 4
      ? `${outputs} filters × ${shape.slice(0, 3).join("×")} weights + ${biases} biases`
      : `${formatCount(shape[0] ?? 0)} inputs × ${outputs} outputs + ${biases} biases`;
  return { layer, weights, biases, total: weights + biases, formula };
}

/** Every layer with parameters, in the network's order. */
export function parameterCounts(graph: ModelGraph): ParameterCount[] {
  return graph.layers
    .map((layer) => parameterCount(graph, layer.name))
    .filter((count): count is ParameterCount => count !== null);
}

/**
 * The side of the square input patch one value of each layer depends on. A window of k
 * widens it by (k − 1) times the spacing of its input's values; a stride multiplies that
 * spacing. Dense layers see everything and are left out.
 */
export function receptiveFields(graph: ModelGraph): Map<string, number> {
  const fields = new Map<string, { field: number; jump: number }>();
  for (const layer of graph.layers) {
    const before = layer.input ? fields.get(layer.input) : undefined;
    if (layer.type === "input") fields.set(layer.name, { field: 1, jump: 1 });
    else if (!before || layer.type === "flatten" || layer.type === "dense") continue;
    else if (layer.type === "conv" || layer.type === "max_pool") {
      const window = layer.kernel_size?.[0] ?? 1;
      const stride = layer.stride?.[0] ?? (layer.type === "max_pool" ? window : 1);
      fields.set(layer.name, {
        field: before.field + (window - 1) * before.jump,
        jump: before.jump * stride,
      });
    } else fields.set(layer.name, before);
  }
  return new Map([...fields].map(([name, { field }]) => [name, field]));
}
