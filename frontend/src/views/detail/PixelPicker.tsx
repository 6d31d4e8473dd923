/**
 * A neuron's map on which the student picks the output pixel a detail view explains:
 * hover to look, click to keep; focus it and use the arrow keys (Home goes to the corner).
 * Screen readers hear the map, the position and the value.
 */
import type { KeyboardEvent } from "react";
import { Heatmap } from "../overview/Heatmap";
import type { Pixel } from "./detailData";

interface PixelPickerProps {
  plane: Float32Array;
  height: number;
  width: number;
  magnitude: number;
  displaySize: number;
  pixel: Pixel;
  /** Spoken name of the map, e.g. "relu_1_1 neuron 3 output map". */
  label: string;
  /** What a screen reader hears about the current pixel. */
  describe: (pixel: Pixel) => string;
  onHover: (pixel: Pixel | null) => void;
  onPick: (pixel: Pixel) => void;
  testId?: string;
}

const STEPS: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

export function PixelPicker({
  plane,
  height,
  width,
  magnitude,
  displaySize,
  pixel,
  label,
  describe,
  onHover,
  onPick,
  testId,
}: PixelPickerProps) {
  const scale = displaySize / Math.max(height, width);
  const at = (clientX: number, clientY: number, bounds: DOMRect): Pixel => ({
    y: Math.min(height - 1, Math.max(0, Math.floor((clientY - bounds.top) / scale))),
    x: Math.min(width - 1, Math.max(0, Math.floor((clientX - bounds.left) / scale))),
  });
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = STEPS[event.key];
    let next: Pixel | null = null;
    if (step)
      next = {
        y: Math.min(height - 1, Math.max(0, pixel.y + step[0])),
        x: Math.min(width - 1, Math.max(0, pixel.x + step[1])),
      };
    else if (event.key === "Home") next = { y: 0, x: 0 };
    else if (event.key === "End") next = { y: height - 1, x: width - 1 };
    if (!next) return;
    event.preventDefault();
    onPick(next);
  };
  return (
    <div
      className="pixel-picker windowed-map"
      style={{ width: width * scale, height: height * scale }}
      role="group"
      aria-roledescription="map"
      tabIndex={0}
      aria-label={`${label}. ${describe(pixel)}. Arrow keys move to another pixel.`}
      data-testid={testId}
      data-y={pixel.y}
      data-x={pixel.x}
      onKeyDown={onKeyDown}
      onPointerMove={(event) =>
        onHover(at(event.clientX, event.clientY, event.currentTarget.getBoundingClientRect()))
      }
      onPointerLeave={() => onHover(null)}
      onClick={(event) =>
        onPick(at(event.clientX, event.clientY, event.currentTarget.getBoundingClientRect()))
      }
    >
      <Heatmap
        plane={plane}
        height={height}
        width={width}
        magnitude={magnitude}
        displaySize={displaySize}
      />
      <div
        className="window-box"
        style={{ top: pixel.y * scale, left: pixel.x * scale, width: scale, height: scale }}
      />
      {/* Spoken as the pixel moves: a focused element's changed label is not always read out. */}
      <span className="visually-hidden" aria-live="polite" data-testid="pixel-announcement">
        {describe(pixel)}
      </span>
    </div>
  );
}
