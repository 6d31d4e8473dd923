/** Decodes the `cnn101.v1.ActivationBundle` bytes the gateway returns (generated decoder). */
import { cnn101 } from "../generated/activations.js";
import type { Tensor } from "../math/tensor";

export interface Bundle {
  modelName: string;
  modelVersion: number;
  imageDigest: string;
  inputSize: number;
  /** The normalised input, uint8 RGB row-major (input_size x input_size x 3). */
  inputPixels: Uint8Array;
  /** The carried layers only (conv, dense, softmax); see math/derive for the rest. */
  tensors: Map<string, Tensor>;
  probabilities: number[];
}

/** Copies little-endian float32 bytes into an aligned Float32Array (bytes may sit at any offset). */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < values.length; i += 1) values[i] = view.getFloat32(i * 4, true);
  return values;
}

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}

export function decodeBundle(bytes: Uint8Array): Bundle {
  const message = cnn101.v1.ActivationBundle.decode(bytes);
  const tensors = new Map<string, Tensor>();
  for (const tensor of message.tensors) {
    const shape = tensor.shape ?? [];
    const data = float32FromBytes(tensor.data ?? new Uint8Array());
    if (data.length !== shape.reduce((product, dim) => product * dim, 1)) {
      throw new Error(`Tensor ${tensor.name ?? "?"} has ${data.length} values for shape ${shape.join("x")}.`);
    }
    tensors.set(tensor.name ?? "", { shape, data });
  }
  return {
    modelName: message.modelName,
    modelVersion: toNumber(message.modelVersion),
    imageDigest: message.imageDigest,
    inputSize: message.inputSize,
    inputPixels: message.inputPixels,
    tensors,
    probabilities: [...message.probabilities],
  };
}

/** The input layer's values as the model saw them: RGB bytes scaled to [0, 1]. */
export function inputTensor(bundle: Bundle): Tensor {
  const data = new Float32Array(bundle.inputPixels.length);
  for (let i = 0; i < data.length; i += 1) data[i] = (bundle.inputPixels[i] ?? 0) / 255;
  return { shape: [bundle.inputSize, bundle.inputSize, 3], data };
}
