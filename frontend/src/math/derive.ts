/**
 * Every layer's output from the layers a bundle carries, as services/common/bundles.py
 * `derive_layers` does: ReLU, max-pool and flatten are recomputed bit-exactly (a maximum
 * or a copy never rounds), driven by each layer's type and `input`, never by its name.
 */
import type { Layer } from "../model/graph";
import { type Tensor } from "./tensor";

export function relu(source: Tensor): Tensor {
  const data = new Float32Array(source.data.length);
  for (let i = 0; i < data.length; i += 1) {
    const value = source.data[i] ?? 0;
    data[i] = value > 0 || Number.isNaN(value) ? value : 0; // NaN propagates, as in np.maximum
  }
  return { shape: [...source.shape], data };
}

export function maxPool(
  source: Tensor,
  size: readonly number[],
  stride: readonly number[],
): Tensor {
  const [inHeight = 0, inWidth = 0, channels = 0] = source.shape;
  const [sizeY = 1, sizeX = 1] = size;
  const [strideY = 1, strideX = 1] = stride;
  const height = Math.floor((inHeight - sizeY) / strideY) + 1;
  const width = Math.floor((inWidth - sizeX) / strideX) + 1;
  const data = new Float32Array(height * width * channels).fill(-Infinity);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      for (let dy = 0; dy < sizeY; dy += 1) {
        for (let dx = 0; dx < sizeX; dx += 1) {
          const from = ((y * strideY + dy) * inWidth + (x * strideX + dx)) * channels;
          const to = (y * width + x) * channels;
          for (let c = 0; c < channels; c += 1) {
            const value = source.data[from + c] ?? -Infinity;
            if (value > (data[to + c] ?? -Infinity)) data[to + c] = value;
          }
        }
      }
    }
  }
  return { shape: [height, width, channels], data };
}

export function flatten(source: Tensor): Tensor {
  return { shape: [source.data.length], data: source.data };
}

/** The carried layers plus every derivable one; throws when a needed layer is missing. */
export function deriveLayers(
  layers: readonly Layer[],
  stored: ReadonlyMap<string, Tensor>,
): Map<string, Tensor> {
  const outputs = new Map(stored);
  for (const layer of layers) {
    if (outputs.has(layer.name) || layer.type === "input") continue;
    const source = layer.input === null ? undefined : outputs.get(layer.input);
    if (!source)
      throw new Error(`Layer ${layer.name} needs ${layer.input ?? "an input"}, which is missing.`);
    if (layer.type === "relu") outputs.set(layer.name, relu(source));
    else if (layer.type === "max_pool") {
      outputs.set(
        layer.name,
        maxPool(source, layer.kernel_size ?? [2, 2], layer.stride ?? layer.kernel_size ?? [2, 2]),
      );
    } else if (layer.type === "flatten") outputs.set(layer.name, flatten(source));
    else throw new Error(`Layer ${layer.name} (${layer.type}) is missing from the bundle.`);
  }
  return outputs;
}
