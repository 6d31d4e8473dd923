/** The small worked examples behind the tutorial's figures, computed so they always add up. */

export type Grid = number[][];

/** The vertical-edge kernel of tutorial pages 1 and 10 (bright left, dark right responds). */
export const EDGE: Grid = [
  [1, 0, -1],
  [1, 0, -1],
  [1, 0, -1],
];

/** Valid 2-D cross-correlation (what CNNs call convolution) of one channel. */
export function convolve(input: Grid, kernel: Grid, stride = 1): Grid {
  const k = kernel.length;
  const out: Grid = [];
  for (let y = 0; y + k <= input.length; y += stride) {
    const row: number[] = [];
    for (let x = 0; x + k <= (input[0]?.length ?? 0); x += stride)
      row.push(windowSum(input, kernel, y, x));
    out.push(row);
  }
  return out;
}

/** Σ input[y+i][x+j] · kernel[i][j] over the kernel's window at (y, x). */
export function windowSum(input: Grid, kernel: Grid, y: number, x: number): number {
  let sum = 0;
  kernel.forEach((row, i) =>
    row.forEach((weight, j) => (sum += (input[y + i]?.[x + j] ?? 0) * weight)),
  );
  return sum;
}

export function pad(input: Grid, padding: number): Grid {
  const width = (input[0]?.length ?? 0) + 2 * padding;
  const zeros = () => new Array<number>(width).fill(0);
  const rows = input.map((row) => [
    ...new Array<number>(padding).fill(0),
    ...row,
    ...new Array<number>(padding).fill(0),
  ]);
  return [
    ...Array.from({ length: padding }, zeros),
    ...rows,
    ...Array.from({ length: padding }, zeros),
  ];
}

export function maxPool(input: Grid, size = 2): Grid {
  const out: Grid = [];
  for (let y = 0; y + size <= input.length; y += size) {
    const row: number[] = [];
    for (let x = 0; x + size <= (input[0]?.length ?? 0); x += size) {
      let best = -Infinity;
      for (let i = 0; i < size; i += 1)
        for (let j = 0; j < size; j += 1) best = Math.max(best, input[y + i]?.[x + j] ?? -Infinity);
      row.push(best);
    }
    out.push(row);
  }
  return out;
}

export function relu(input: Grid): Grid {
  return input.map((row) => row.map((value) => Math.max(0, value)));
}

export interface LayerShape {
  name: string;
  kind: "input" | "conv" | "relu" | "max_pool" | "flatten" | "dense";
  shape: number[];
  params: number;
  /** The side of the input patch one value sees (its receptive field); 0 for dense layers. */
  field: number;
}

/**
 * Tiny VGG's layers, shapes, parameter counts and receptive fields from its definition
 * (3x3 valid convs, 2x2 pools): a 3x3 window widens the patch by 2 input steps, a 2x2 pool
 * by 1 and doubles the step between neighbouring values.
 */
export function tinyVggShapes(size = 64, channels = 3, filters = 10, classes = 10): LayerShape[] {
  const layers: LayerShape[] = [
    { name: "input", kind: "input", shape: [size, size, channels], params: 0, field: 1 },
  ];
  let side = size;
  let depth = channels;
  let field = 1;
  let step = 1;
  for (const block of [1, 2]) {
    for (const conv of [1, 2]) {
      side -= 2;
      field += 2 * step;
      layers.push({
        name: `conv_${block}_${conv}`,
        kind: "conv",
        shape: [side, side, filters],
        params: 3 * 3 * depth * filters + filters,
        field,
      });
      depth = filters;
      layers.push({
        name: `relu_${block}_${conv}`,
        kind: "relu",
        shape: [side, side, filters],
        params: 0,
        field,
      });
    }
    side = Math.floor(side / 2);
    field += step;
    step *= 2;
    layers.push({
      name: `max_pool_${block}`,
      kind: "max_pool",
      shape: [side, side, filters],
      params: 0,
      field,
    });
  }
  const flat = side * side * depth;
  layers.push({ name: "flatten", kind: "flatten", shape: [flat], params: 0, field: 0 });
  layers.push({
    name: "output",
    kind: "dense",
    shape: [classes],
    params: flat * classes + classes,
    field: 0,
  });
  return layers;
}

/**
 * How a layer's parameter count is made, in the explorer's words (views/overview/layerFacts.ts
 * derives the same text from the model; figureMath.test.ts checks they agree).
 */
export function paramFormula(layers: LayerShape[], index: number): string {
  const layer = layers[index];
  const before = layers[index - 1];
  if (!layer || !before || layer.params === 0) return "";
  const outputs = layer.shape[layer.shape.length - 1] ?? 0;
  const inputs = before.shape[before.shape.length - 1] ?? 0;
  return layer.kind === "conv"
    ? `${outputs} filters × 3×3×${inputs} weights + ${outputs} biases`
    : `${inputs.toLocaleString("en")} inputs × ${outputs} outputs + ${outputs} biases`;
}
