/** The picture exactly as the model sees it (the bundle's normalised pixels), with its name. */
import { useEffect, useRef } from "react";
import type { Bundle } from "../api/bundle";

export function CurrentImage({ bundle, caption }: { bundle: Bundle; caption: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (!context) return;
    const size = bundle.inputSize;
    const image = context.createImageData(size, size);
    for (let i = 0; i < size * size; i += 1) {
      image.data.set(bundle.inputPixels.subarray(i * 3, i * 3 + 3), i * 4);
      image.data[i * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }, [bundle]);
  return (
    <figure className="current-image" data-testid="current-image">
      <canvas
        ref={canvas}
        width={bundle.inputSize}
        height={bundle.inputSize}
        role="img"
        aria-label={`The model's input: ${caption}`}
      />
      <figcaption>{caption}</figcaption>
    </figure>
  );
}
