/** Per-neuron data for the overview, computed once per image: each map and its own range. */
import { channelPlane, extentOf, type Extent, type Tensor } from "../../math/tensor";

export interface NeuronMap {
  plane: Float32Array;
  height: number;
  width: number;
  extent: Extent;
}

export function neuronMaps(tensor: Tensor): NeuronMap[] {
  const [height = 0, width = 0, channels = 0] = tensor.shape;
  return Array.from({ length: channels }, (_, channel) => {
    const plane = channelPlane(tensor, channel);
    return { plane, height, width, extent: extentOf(plane) };
  });
}

/** Numbers as the views print them: four significant digits, a true minus sign. */
export function formatValue(value: number): string {
  if (value === 0) return "0";
  const text =
    Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
      ? value.toExponential(2)
      : value.toPrecision(4);
  return text.replace("-", "−");
}
