/**
 * The layers a "Train a variant" form would build, with their output shapes, computed the
 * way services/pipeline/architecture.py builds them (valid 'k x k' convolutions of stride 1,
 * ReLU, 2 x 2 max pooling of stride 2 after each block, flatten, dense, softmax), so the
 * instructor sees before training whether the maps still have pixels left at the end.
 */

export interface Variant {
  blocks: number;
  convs_per_block: number;
  filters: number;
  kernel_size: number;
  input_size: number;
}

/** The ranges of the HTTP contract (api_contract.md); the server checks them again. */
export const LIMITS = {
  blocks: { min: 1, max: 4, step: 1 },
  convs_per_block: { min: 1, max: 3, step: 1 },
  filters: { min: 2, max: 32, step: 1 },
  kernel_size: { options: [3, 5] },
  input_size: { min: 32, max: 64, step: 8 },
  epochs: { min: 1, max: 60, step: 1 },
} as const;

export const POOL_SIZE = 2;

export interface LayerShape {
  name: string;
  type: "input" | "conv" | "relu" | "max_pool" | "flatten" | "dense" | "softmax";
  /** [height, width, channels] for maps, [units] after flatten. */
  shape: number[];
  /** Trainable numbers of the layer (weights + biases). */
  params: number;
}

export interface Preview {
  layers: LayerShape[];
  params: number;
  /** Why this combination cannot be built (the maps shrink below 1 pixel), or null. */
  problem: string | null;
}

/** Field-by-field range problems (a message per field), empty when every value is allowed. */
export function rangeProblems(
  variant: Variant & { epochs?: number },
): Partial<Record<keyof Variant | "epochs", string>> {
  const problems: Partial<Record<keyof Variant | "epochs", string>> = {};
  const check = (
    field: "blocks" | "convs_per_block" | "filters" | "input_size" | "epochs",
    value: number | undefined,
    what: string,
  ) => {
    if (value === undefined) return;
    const limit = LIMITS[field];
    if (!Number.isInteger(value)) problems[field] = `${what} must be a whole number.`;
    else if (value < limit.min || value > limit.max)
      problems[field] = `${what} must be from ${limit.min} to ${limit.max}.`;
    else if ((value - limit.min) % limit.step !== 0)
      problems[field] = `${what} must be a multiple of ${limit.step}.`;
  };
  check("blocks", variant.blocks, "Blocks");
  check("convs_per_block", variant.convs_per_block, "Convolutions per block");
  check("filters", variant.filters, "Filters");
  check("input_size", variant.input_size, "Input size");
  check("epochs", variant.epochs, "Epochs");
  if (!(LIMITS.kernel_size.options as readonly number[]).includes(variant.kernel_size))
    problems.kernel_size = "Kernel size must be 3 or 5.";
  return problems;
}

/** Every layer with its output shape; stops at the first layer whose map would be under 1 pixel. */
export function previewLayers(variant: Variant, classes: number): Preview {
  const { blocks, convs_per_block: convs, filters, kernel_size: k, input_size: input } = variant;
  const layers: LayerShape[] = [
    { name: "input", type: "input", shape: [input, input, 3], params: 0 },
  ];
  let size = input;
  let channels = 3;
  for (let block = 1; block <= blocks; block += 1) {
    for (let conv = 1; conv <= convs; conv += 1) {
      const out = size - k + 1;
      if (out < 1) {
        return finish(
          layers,
          `conv_${block}_${conv}: a ${k}×${k} kernel does not fit a ${size}×${size} map. Use fewer blocks or convolutions, a smaller kernel or a larger input.`,
        );
      }
      layers.push({
        name: `conv_${block}_${conv}`,
        type: "conv",
        shape: [out, out, filters],
        params: k * k * channels * filters + filters,
      });
      layers.push({
        name: `relu_${block}_${conv}`,
        type: "relu",
        shape: [out, out, filters],
        params: 0,
      });
      size = out;
      channels = filters;
    }
    const pooled = Math.floor(size / POOL_SIZE);
    if (pooled < 1) {
      return finish(
        layers,
        `max_pool_${block}: a ${size}×${size} map cannot be pooled 2×2. Use fewer blocks or convolutions, a smaller kernel or a larger input.`,
      );
    }
    layers.push({
      name: `max_pool_${block}`,
      type: "max_pool",
      shape: [pooled, pooled, channels],
      params: 0,
    });
    size = pooled;
  }
  const flat = size * size * channels;
  layers.push({ name: "flatten", type: "flatten", shape: [flat], params: 0 });
  layers.push({
    name: "output",
    type: "dense",
    shape: [classes],
    params: flat * classes + classes,
  });
  layers.push({ name: "softmax", type: "softmax", shape: [classes], params: 0 });
  return finish(layers, null);
}

function finish(layers: LayerShape[], problem: string | null): Preview {
  return { layers, params: layers.reduce((sum, layer) => sum + layer.params, 0), problem };
}

/** "62 × 62 × 10" or "1690". */
export function formatShape(shape: readonly number[]): string {
  return shape.join(" × ");
}
