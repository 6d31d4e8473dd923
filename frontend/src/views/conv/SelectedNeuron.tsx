/** Opens the intermediate view of the neuron named in the URL, once its weights are here. */
import type { ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import type { NeuronSelection } from "../../url/state";
import type { Scope } from "../../math/scopes";
import { ClassifierView } from "../flatten/ClassifierView";
import { denseOf } from "../flatten/classifierData";
import { ConvView } from "./ConvView";

interface SelectedNeuronProps {
  graph: ModelGraph;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array> | null;
  selection: NeuronSelection | null;
  scope: Scope;
  onClose: () => void;
}

export function SelectedNeuron({ graph, activations, weights, selection, scope, onClose }: SelectedNeuronProps) {
  if (selection === null) return null;
  const layer = graph.layers.find((candidate) => candidate.name === selection.layer);
  if (!layer) return null;
  // A class neuron (the softmax or the dense layer behind it): the flatten and softmax views.
  const classifier = denseOf(graph, layer) !== undefined;
  const count = classifier ? layer.output_shape[0] ?? 0 : layer.output_shape[2] ?? 0;
  // Conv and class neurons have an intermediate view; a stale link just shows the overview.
  if ((layer.type !== "conv" && !classifier) || selection.index >= count) return null;
  if (weights === null) return <p className="status" data-testid="weights-loading">Loading the filters of {layer.name}…</p>;
  if (classifier) {
    return <ClassifierView key={`${layer.name}:${selection.index}`} graph={graph} layer={layer} index={selection.index} activations={activations} weights={weights} scope={scope} onClose={onClose} />;
  }
  return <ConvView key={`${layer.name}:${selection.index}`} graph={graph} layer={layer} index={selection.index} activations={activations} weights={weights} onClose={onClose} />;
}
