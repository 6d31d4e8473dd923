/** The model description the gateway serves (assets.extra/model.json): types and lookups. */

export type LayerType = "input" | "conv" | "relu" | "max_pool" | "flatten" | "dense" | "softmax";

export interface Layer {
  name: string;
  type: LayerType;
  output_shape: number[];
  /** The layer this one reads from; null for the input. */
  input: string | null;
  /** Colour-scale scope: a conv, pool, flatten or dense layer with its activation. */
  unit: string;
  /** Colour-scale scope: a VGG block, then the classifier. */
  module: string;
  kernel_size?: [number, number];
  stride?: [number, number];
  padding?: "valid" | "same";
  filters?: number;
  units?: number;
}

export interface ModelClass {
  index: number;
  wnid: string;
  name: string;
}

export interface WeightTensorEntry {
  layer: string;
  name: "kernel" | "bias";
  shape: number[];
  offset: number;
  length: number;
}

export interface ModelGraph {
  input: { shape: number[] };
  classes: ModelClass[];
  layers: Layer[];
  weights: { tensors: WeightTensorEntry[] };
}

/** `GET /api/models/{name}/versions/{v}` (and the newest version's, with its siblings). */
export interface ModelVersion {
  name: string;
  version: number;
  /** Of the exported files: pinned in the bundle and weights URLs (cached for ever). */
  fingerprint?: string;
  weights_url: string;
  activations_url: string;
  description: ModelGraph;
  available_versions?: number[];
}

const LAYER_TYPES: readonly string[] = [
  "input",
  "conv",
  "relu",
  "max_pool",
  "flatten",
  "dense",
  "softmax",
];

/** Refuses a graph the views cannot draw, with a reason, instead of drawing it wrongly. */
export function checkGraph(graph: ModelGraph): void {
  const seen = new Set<string>();
  for (const layer of graph.layers) {
    if (!LAYER_TYPES.includes(layer.type)) {
      throw new Error(`Layer ${layer.name} has type ${layer.type}, which CNN 101 cannot show.`);
    }
    if (layer.input !== null && !seen.has(layer.input)) {
      throw new Error(`Layer ${layer.name} reads ${layer.input}, which does not come before it.`);
    }
    seen.add(layer.name);
  }
}

export function layerByName(graph: ModelGraph, name: string): Layer {
  const layer = graph.layers.find((candidate) => candidate.name === name);
  if (!layer) throw new Error(`The model has no layer ${name}.`);
  return layer;
}

/** Layers whose output is a stack of 2-D maps (drawn as heatmaps), input excluded. */
export function isMapLayer(layer: Layer): boolean {
  return layer.type !== "input" && layer.output_shape.length === 3;
}
