/** Switches every heatmap, legend and edge between red–blue and the colour-blind-safe palette. */
import { paletteStops } from "../math/colour";
import { choosePalette, usePalette } from "./palette";

export function PaletteToggle() {
  const palette = usePalette();
  const safe = palette === "orange-purple";
  const { negative, zero, positive } = paletteStops(palette);
  return (
    <label
      className="palette-toggle"
      title="Orange and purple stay distinct for most kinds of colour blindness"
    >
      <input
        type="checkbox"
        checked={safe}
        onChange={(event) => choosePalette(event.target.checked ? "orange-purple" : "red-blue")}
        data-testid="palette-toggle"
      />
      Colour-blind-safe colours
      <span
        className="palette-sample"
        aria-hidden="true"
        style={{ background: `linear-gradient(to right, ${negative}, ${zero}, ${positive})` }}
      />
    </label>
  );
}
