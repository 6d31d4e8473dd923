/**
 * What the flatten and softmax views draw for one class, found through the layer graph
 * (softmax → its dense `input` → that layer's flatten `input` → the map layer it reshapes),
 * never by layer names.
 */
import {
  denseColumn,
  logitTerms,
  softmaxTerms,
  type LogitTerms,
  type SoftmaxTerms,
} from "../../math/classifier";
import { scopeRanges, type Scope } from "../../math/scopes";
import { channelPlane, type Tensor } from "../../math/tensor";
import type { Layer, ModelGraph } from "../../model/graph";

export interface ClassifierData {
  classIndex: number;
  className: string;
  classNames: string[];
  sourceLayer: Layer;
  flattenLayer: Layer;
  denseLayer: Layer;
  /** The map layer's shape, H x W x C. */
  sourceShape: [number, number, number];
  planes: Float32Array[];
  flat: Float32Array;
  weights: Float32Array;
  /** Colour range of the source layer's scope, as in the overview. */
  sourceMagnitude: number;
  weightMagnitude: number;
  logit: LogitTerms;
  logits: Float32Array;
  softmax: SoftmaxTerms;
  /** The bundle's own probability of the class. */
  modelProbability: number;
}

function inputOf(
  graph: ModelGraph,
  layer: Layer | undefined,
  type: Layer["type"],
): Layer | undefined {
  const found = graph.layers.find((candidate) => candidate.name === layer?.input);
  return found?.type === type ? found : undefined;
}

/** The dense layer behind a class neuron: the selected layer itself, or the one its softmax reads. */
export function denseOf(graph: ModelGraph, layer: Layer): Layer | undefined {
  return layer.type === "dense"
    ? layer
    : layer.type === "softmax"
      ? inputOf(graph, layer, "dense")
      : undefined;
}

export function classifierData(
  graph: ModelGraph,
  layer: Layer,
  classIndex: number,
  outputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Float32Array>,
  scope: Scope,
): ClassifierData {
  const denseLayer = denseOf(graph, layer);
  const flattenLayer = inputOf(graph, denseLayer, "flatten");
  const sourceLayer = graph.layers.find((candidate) => candidate.name === flattenLayer?.input);
  const source = outputs.get(sourceLayer?.name ?? "");
  const flat = outputs.get(flattenLayer?.name ?? "")?.data;
  const logits = outputs.get(denseLayer?.name ?? "")?.data;
  const kernel = weights.get(`${denseLayer?.name ?? ""}/kernel`);
  const biases = weights.get(`${denseLayer?.name ?? ""}/bias`);
  if (
    !denseLayer ||
    !flattenLayer ||
    !sourceLayer ||
    !source ||
    source.shape.length !== 3 ||
    !flat ||
    !logits ||
    !kernel ||
    !biases
  ) {
    throw new Error(`The classifier data for ${layer.name} is incomplete.`);
  }
  const [height = 0, width = 0, channels = 0] = source.shape;
  const units = logits.length;
  const column = denseColumn(kernel, units, classIndex);
  const softmaxLayer = graph.layers.find(
    (candidate) => candidate.type === "softmax" && candidate.input === denseLayer.name,
  );
  const probabilities = outputs.get(softmaxLayer?.name ?? "")?.data;
  const softmax = softmaxTerms(logits, classIndex);
  let weightMagnitude = 0;
  for (const value of column) weightMagnitude = Math.max(weightMagnitude, Math.abs(value));
  const classNames = Array.from(
    { length: units },
    (_, i) => graph.classes[i]?.name ?? `class ${i + 1}`,
  );
  return {
    classIndex,
    className: classNames[classIndex] ?? "",
    classNames,
    sourceLayer,
    flattenLayer,
    denseLayer,
    sourceShape: [height, width, channels],
    planes: Array.from({ length: channels }, (_, channel) => channelPlane(source, channel)),
    flat,
    weights: column,
    sourceMagnitude:
      scopeRanges(graph.layers, outputs, scope).get(sourceLayer.name)?.magnitude ?? 1,
    weightMagnitude,
    logit: logitTerms(flat, column, biases[classIndex] ?? 0),
    logits,
    softmax,
    modelProbability: probabilities?.[classIndex] ?? softmax.probability,
  };
}
