import { describe, expect, it } from "vitest";
import { cnn101 } from "../generated/activations.js";
import { fixtureBytes } from "../test/fixtures";
import { decodeBundle, float32FromBytes } from "./bundle";

/** The generated (protobufjs) decoder's reading, in the shape decodeBundle returns. */
function reference(bytes: Uint8Array) {
  const message = cnn101.v1.ActivationBundle.decode(bytes);
  const version = message.modelVersion;
  return {
    modelName: message.modelName,
    modelVersion: typeof version === "number" ? version : version.toNumber(),
    imageDigest: message.imageDigest,
    inputSize: message.inputSize,
    inputPixels: [...message.inputPixels],
    tensors: message.tensors.map((tensor) => ({
      name: tensor.name,
      shape: tensor.shape,
      data: [...float32FromBytes(tensor.data ?? new Uint8Array())],
    })),
    probabilities: message.probabilities,
  };
}

function ours(bytes: Uint8Array) {
  const bundle = decodeBundle(bytes);
  return {
    ...bundle,
    inputPixels: [...bundle.inputPixels],
    tensors: [...bundle.tensors].map(([name, tensor]) => ({
      name,
      shape: tensor.shape,
      data: [...tensor.data],
    })),
  };
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return new Uint8Array(parts.flatMap((part) => [...part]));
}

describe("decodeBundle", () => {
  it("reads the fixtures exactly as the generated decoder does", () => {
    for (const name of ["small3.bundle.pb", "small3.all_layers.pb"]) {
      const bytes = fixtureBytes(name);
      const decoded = ours(bytes);
      expect(decoded).toEqual(reference(bytes));
      expect(decoded.tensors.length).toBeGreaterThan(3);
      expect(decoded.probabilities).toHaveLength(10);
    }
  });

  it("reads a message the generated encoder writes, large version included", () => {
    const message = {
      modelName: "m\u00e9",
      modelVersion: 2 ** 40 + 3,
      imageDigest: "ab",
      inputSize: 2,
      inputPixels: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
      tensors: [
        {
          name: "conv",
          shape: [1, 1, 2],
          data: new Uint8Array(new Float32Array([1.5, -2]).buffer),
        },
      ],
      probabilities: [0.25, 0.75],
    };
    const bytes = cnn101.v1.ActivationBundle.encode(message).finish();
    expect(ours(bytes)).toEqual(reference(bytes));
    expect(decodeBundle(bytes).modelVersion).toBe(2 ** 40 + 3);
    expect([...(decodeBundle(bytes).tensors.get("conv")?.data ?? [])]).toEqual([1.5, -2]);
  });

  it("skips fields it does not know and reads unpacked repeated values", () => {
    const known = cnn101.v1.ActivationBundle.encode({ modelName: "m", modelVersion: 1 }).finish();
    const unknown = [
      (11 << 3) | 0,
      0x96,
      0x01, // varint 150
      (12 << 3) | 1,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // fixed64
      (13 << 3) | 2,
      2,
      0xff,
      0xfe, // bytes
      (14 << 3) | 5,
      1,
      2,
      3,
      4, // fixed32
    ];
    const half = [...new Uint8Array(new Float32Array([0.5]).buffer)];
    const unpacked = [(7 << 3) | 5, ...half, (7 << 3) | 5, ...half];
    const bytes = concat(known, unknown, unpacked);
    expect(ours(bytes)).toEqual(reference(bytes));
    expect(decodeBundle(bytes).probabilities).toEqual([0.5, 0.5]);
  });

  it("refuses cut-short or inconsistent bytes with a message", () => {
    const bytes = fixtureBytes("small3.bundle.pb");
    expect(() => decodeBundle(bytes.subarray(0, bytes.length - 7))).toThrow(
      /cut short|ends inside/,
    );
    const wrongShape = cnn101.v1.ActivationBundle.encode({
      tensors: [{ name: "t", shape: [3], data: new Uint8Array(8) }],
    }).finish();
    expect(() => decodeBundle(wrongShape)).toThrow("Tensor t has 2 values for shape 3.");
    expect(() => decodeBundle(new Uint8Array([(1 << 3) | 7]))).toThrow(/unknown wire type 7/);
  });

  it("copies float32 bytes from any offset", () => {
    const bytes = concat([9], new Uint8Array(new Float32Array([3.25, -1]).buffer));
    expect([...float32FromBytes(bytes.subarray(1))]).toEqual([3.25, -1]);
  });
});
