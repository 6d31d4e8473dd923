/** Opens the intermediate view of the neuron named in the URL, once its weights are here. */
import type { ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import type { NeuronSelection } from "../../url/state";
import { ConvView } from "./ConvView";

interface SelectedNeuronProps {
  graph: ModelGraph;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array> | null;
  selection: NeuronSelection | null;
  onClose: () => void;
}

export function SelectedNeuron({ graph, activations, weights, selection, onClose }: SelectedNeuronProps) {
  if (selection === null) return null;
  const layer = graph.layers.find((candidate) => candidate.name === selection.layer);
  const count = layer?.output_shape[2] ?? 0;
  // Only conv neurons have an intermediate view so far; a stale link just shows the overview.
  if (!layer || layer.type !== "conv" || selection.index >= count) return null;
  if (weights === null) return <p className="status" data-testid="weights-loading">Loading the filters of {layer.name}…</p>;
  return <ConvView key={`${layer.name}:${selection.index}`} graph={graph} layer={layer} index={selection.index} activations={activations} weights={weights} onClose={onClose} />;
}
