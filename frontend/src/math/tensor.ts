/** A float32 tensor in row-major order of `shape` (H x W x C for maps), as the bundle carries it. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** One channel of an H x W x C tensor as an H x W plane (row-major). */
export function channelPlane(tensor: Tensor, channel: number): Float32Array {
  const [height = 0, width = 0, channels = 0] = tensor.shape;
  const plane = new Float32Array(height * width);
  for (let i = 0; i < height * width; i += 1) plane[i] = tensor.data[i * channels + channel] ?? 0;
  return plane;
}

export interface Extent {
  min: number;
  max: number;
}

export function extentOf(values: ArrayLike<number>): Extent {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i] ?? 0;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return values.length === 0 ? { min: 0, max: 0 } : { min, max };
}
