/** A heatmap with the sliding window drawn over it; pointing at a pixel moves the window there. */
import { Heatmap } from "../overview/Heatmap";

export interface WindowBox {
  y: number;
  x: number;
  height: number;
  width: number;
}

interface WindowedMapProps {
  plane: Float32Array;
  height: number;
  width: number;
  magnitude: number;
  displaySize: number;
  box: WindowBox;
  inputChannel?: number;
  label: string;
  onPoint?: (y: number, x: number) => void;
}

export function WindowedMap({
  plane,
  height,
  width,
  magnitude,
  displaySize,
  box,
  inputChannel,
  label,
  onPoint,
}: WindowedMapProps) {
  const scale = displaySize / Math.max(height, width);
  return (
    <div
      className="windowed-map"
      style={{ width: displaySize, height: displaySize }}
      role="img"
      aria-label={label}
      onPointerMove={
        onPoint &&
        ((event) => {
          const bounds = event.currentTarget.getBoundingClientRect();
          onPoint(
            Math.floor((event.clientY - bounds.top) / scale),
            Math.floor((event.clientX - bounds.left) / scale),
          );
        })
      }
    >
      <Heatmap
        plane={plane}
        height={height}
        width={width}
        magnitude={magnitude}
        inputChannel={inputChannel}
        displaySize={displaySize}
      />
      <div
        className="window-box"
        style={{
          top: box.y * scale,
          left: box.x * scale,
          width: box.width * scale,
          height: box.height * scale,
        }}
      />
    </div>
  );
}
