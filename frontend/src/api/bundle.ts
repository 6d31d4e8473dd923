/**
 * Decodes the `cnn101.v1.ActivationBundle` bytes the gateway returns.
 *
 * A reader of the protobuf wire format for this one message (proto/cnn101/v1/activations.proto)
 * rather than protobufjs: the runtime and the generated module were 45 KB of the first load,
 * this is about 1.5 KB. The generated decoder stays the reference: bundle.test.ts checks both
 * agree, unknown fields included, so a change to the proto cannot slip past unnoticed.
 */
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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A fresh, exactly sized copy (`slice` of a Node Buffer would be a view). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** Copies little-endian float32 bytes into an aligned Float32Array (bytes may sit at any offset). */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${bytes.byteLength} bytes are not a whole number of float32s.`);
  // On a little-endian machine (every browser's) one memcpy; else value by value.
  if (LITTLE_ENDIAN) return new Float32Array(copyOf(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < values.length; i += 1) values[i] = view.getFloat32(i * 4, true);
  return values;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** A cursor over protobuf wire-format bytes. */
class Reader {
  position = 0;
  readonly end: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.position = start;
    this.end = end;
  }

  done(): boolean {
    return this.position >= this.end;
  }

  /** An unsigned varint up to 2^53 (int64 model versions fit; larger is refused). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.position >= this.end) throw new Error("The bundle ends inside a number.");
      const byte = this.bytes[this.position] ?? 0;
      this.position += 1;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value))
          throw new Error("The bundle holds a number too large to read.");
        return value;
      }
      scale *= 128;
    }
    throw new Error("The bundle holds a malformed number.");
  }

  /** The next length-delimited field's bytes (a view, not a copy). */
  lengthDelimited(): Uint8Array {
    const length = this.varint();
    const start = this.position;
    if (start + length > this.end) throw new Error("The bundle is cut short.");
    this.position += length;
    return this.bytes.subarray(start, start + length);
  }

  float32(): number {
    if (this.position + 4 > this.end) throw new Error("The bundle is cut short.");
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.position, 4);
    this.position += 4;
    return view.getFloat32(0, true);
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_FIXED64) this.position += 8;
    else if (wireType === WIRE_BYTES) this.lengthDelimited();
    else if (wireType === WIRE_FIXED32) this.position += 4;
    else throw new Error(`The bundle has a field of unknown wire type ${wireType}.`);
    if (this.position > this.end) throw new Error("The bundle is cut short.");
  }
}

const text = new TextDecoder();

/** Reads a repeated scalar that proto3 packs (one length-delimited run) or not (one per tag). */
function repeated(
  reader: Reader,
  wireType: number,
  readOne: (from: Reader) => number,
  into: number[],
): void {
  if (wireType !== WIRE_BYTES) {
    into.push(readOne(reader));
    return;
  }
  const run = reader.lengthDelimited();
  const packed = new Reader(run);
  while (!packed.done()) into.push(readOne(packed));
}

function decodeTensor(bytes: Uint8Array): { name: string; tensor: Tensor } {
  const reader = new Reader(bytes);
  let name = "";
  const shape: number[] = [];
  let data = new Uint8Array();
  while (!reader.done()) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 1 && wireType === WIRE_BYTES) name = text.decode(reader.lengthDelimited());
    else if (field === 2) repeated(reader, wireType, (from) => from.varint(), shape);
    else if (field === 3 && wireType === WIRE_BYTES) data = reader.lengthDelimited();
    else reader.skip(wireType);
  }
  const values = float32FromBytes(data);
  if (values.length !== shape.reduce((product, dim) => product * dim, 1)) {
    throw new Error(
      `Tensor ${name || "?"} has ${values.length} values for shape ${shape.join("x")}.`,
    );
  }
  return { name, tensor: { shape, data: values } };
}

export function decodeBundle(bytes: Uint8Array): Bundle {
  const bundle: Bundle = {
    modelName: "",
    modelVersion: 0,
    imageDigest: "",
    inputSize: 0,
    inputPixels: new Uint8Array(),
    tensors: new Map(),
    probabilities: [],
  };
  const reader = new Reader(bytes);
  while (!reader.done()) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 1 && wireType === WIRE_BYTES)
      bundle.modelName = text.decode(reader.lengthDelimited());
    else if (field === 2 && wireType === WIRE_VARINT) bundle.modelVersion = reader.varint();
    else if (field === 3 && wireType === WIRE_BYTES)
      bundle.imageDigest = text.decode(reader.lengthDelimited());
    else if (field === 4 && wireType === WIRE_BYTES)
      bundle.inputPixels = copyOf(reader.lengthDelimited()); // a view would keep the response alive
    else if (field === 5 && wireType === WIRE_VARINT) bundle.inputSize = reader.varint();
    else if (field === 6 && wireType === WIRE_BYTES) {
      const { name, tensor } = decodeTensor(reader.lengthDelimited());
      bundle.tensors.set(name, tensor);
    } else if (field === 7)
      repeated(reader, wireType, (from) => from.float32(), bundle.probabilities);
    else reader.skip(wireType);
  }
  return bundle;
}

/** The input layer's values as the model saw them: RGB bytes scaled to [0, 1]. */
export function inputTensor(bundle: Bundle): Tensor {
  const data = new Float32Array(bundle.inputPixels.length);
  for (let i = 0; i < data.length; i += 1) data[i] = (bundle.inputPixels[i] ?? 0) / 255;
  return { shape: [bundle.inputSize, bundle.inputSize, 3], data };
}
