/** Switches every heatmap, legend and edge between red–blue and the colour-blind-safe palette. */
import { paletteStops } from "../math/colour";
import { choosePalette, usePalette } from "./palette";

/** `tabIndex`: its place in a toolbar's roving Tab stop (components/roving.ts). */
export function PaletteToggle({ tabIndex }: { tabIndex?: number }) {
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
        tabIndex={tabIndex}
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
