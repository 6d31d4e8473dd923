/**
 * Colour-scale ranges for the three scopes of the overview, grouped by the graph's own
 * `unit` and `module` fields (never by layer names): a layer's maps share one symmetric
 * range with every layer of its group.
 */
import { isMapLayer, type Layer } from "../model/graph";
import { extentOf, type Extent, type Tensor } from "./tensor";

export type Scope = "unit" | "module" | "global";
export const SCOPES: readonly Scope[] = ["unit", "module", "global"];

export function scopeGroup(layer: Layer, scope: Scope): string {
  if (scope === "unit") return layer.unit;
  if (scope === "module") return layer.module;
  return "network";
}

export interface ScopeRange {
  group: string;
  extent: Extent;
  /** max(|min|, |max|): the scale is [-magnitude, magnitude]. */
  magnitude: number;
  layers: string[];
}

/** For every map layer, the range of its scope group under `scope`. */
export function scopeRanges(
  layers: readonly Layer[],
  outputs: ReadonlyMap<string, Tensor>,
  scope: Scope,
): Map<string, ScopeRange> {
  const groups = new Map<string, ScopeRange>();
  for (const layer of layers.filter(isMapLayer)) {
    const tensor = outputs.get(layer.name);
    if (!tensor) continue;
    const key = scopeGroup(layer, scope);
    const own = extentOf(tensor.data);
    const group = groups.get(key);
    if (group) {
      group.extent = {
        min: Math.min(group.extent.min, own.min),
        max: Math.max(group.extent.max, own.max),
      };
      group.layers.push(layer.name);
    } else {
      groups.set(key, { group: key, extent: own, magnitude: 0, layers: [layer.name] });
    }
  }
  const byLayer = new Map<string, ScopeRange>();
  for (const group of groups.values()) {
    group.magnitude = Math.max(Math.abs(group.extent.min), Math.abs(group.extent.max));
    for (const name of group.layers) byLayer.set(name, group);
  }
  return byLayer;
}
