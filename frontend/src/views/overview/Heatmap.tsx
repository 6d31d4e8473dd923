/** One activation map on a <canvas> at its true resolution, upscaled crisply by CSS. */
import { useEffect, useRef } from "react";
import { paintInputChannel, paintPlane, rampTable } from "../../math/colour";

interface HeatmapProps {
  plane: Float32Array;
  height: number;
  width: number;
  /** Symmetric colour range of the map's scope; ignored for input channels. */
  magnitude: number;
  /** An input channel (0, 1, 2) is drawn black to R, G or B instead of the diverging scale. */
  inputChannel?: number;
  displaySize: number;
}

export function Heatmap({
  plane,
  height,
  width,
  magnitude,
  inputChannel,
  displaySize,
}: HeatmapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (!context) return;
    const image = context.createImageData(width, height);
    if (inputChannel === undefined)
      paintPlane(plane, magnitude, rampTable(), image.data); // the chosen palette's table
    else paintInputChannel(plane, inputChannel, image.data);
    context.putImageData(image, 0, 0);
  }, [plane, height, width, magnitude, inputChannel]);

  return (
    <canvas
      ref={canvas}
      className="heatmap"
      width={width}
      height={height}
      style={{ width: displaySize, height: displaySize }}
      aria-hidden="true"
    />
  );
}
