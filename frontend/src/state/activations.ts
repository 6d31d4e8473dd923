/** A bundle with every layer's output derived, ready for the views. */
import { inputTensor, type Bundle } from "../api/bundle";
import type { ModelGraph } from "../model/graph";
import { deriveLayers } from "../math/derive";
import type { Tensor } from "../math/tensor";

export interface Activations {
  bundle: Bundle;
  /** Every layer by name, the input included (pixels scaled to [0, 1]). */
  outputs: Map<string, Tensor>;
}

export function activationsOf(graph: ModelGraph, bundle: Bundle): Activations {
  const outputs = deriveLayers(graph.layers, bundle.tensors);
  const input = graph.layers[0];
  if (input) outputs.set(input.name, inputTensor(bundle));
  return { bundle, outputs };
}
