/**
 * The pixel a detail view shows: the one being hovered, else the one kept in the URL (or,
 * without one, the map's strongest pixel), always inside the map.
 */
import { useState } from "react";
import { clampPixel, strongestPixel, type Pixel } from "./detailData";

export interface PixelState {
  shown: Pixel;
  kept: Pixel;
  hover: (pixel: Pixel | null) => void;
}

export function usePixel(
  fromUrl: Pixel | null,
  plane: ArrayLike<number>,
  size: [number, number],
): PixelState {
  const [hovered, setHovered] = useState<Pixel | null>(null);
  const kept = clampPixel(fromUrl ?? strongestPixel(plane, size[1]), size);
  return { shown: hovered ? clampPixel(hovered, size) : kept, kept, hover: setHovered };
}
