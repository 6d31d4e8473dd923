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

/** Derived once per bundle: going back to an image already seen skips ReLU and pooling. */
const derived = new WeakMap<Bundle, { graph: ModelGraph; activations: Activations }>();

export function activationsOf(graph: ModelGraph, bundle: Bundle): Activations {
  const known = derived.get(bundle);
  if (known?.graph === graph) return known.activations;
  const outputs = deriveLayers(graph.layers, bundle.tensors);
  const input = graph.layers[0];
  if (input) outputs.set(input.name, inputTensor(bundle));
  const activations = { bundle, outputs };
  derived.set(bundle, { graph, activations });
  return activations;
}
