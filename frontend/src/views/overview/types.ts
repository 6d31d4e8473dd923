/** A neuron of the overview: its column (in layout order) and its index in that column. */
export interface NeuronRef {
  column: number;
  index: number;
}

export function isSource(
  hovered: NeuronRef | null,
  column: number,
  sources: readonly number[],
  index: number,
): boolean {
  return hovered !== null && hovered.column === column + 1 && sources.includes(index);
}
