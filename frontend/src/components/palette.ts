/**
 * The chosen colour palette, remembered (components/storedChoice.ts) so a student who needs
 * the colour-blind-safe one chooses it once. `usePalette` re-renders on a change; the
 * painting functions of math/colour read the same choice.
 */
import {
  currentPalette,
  isPaletteName,
  PALETTES,
  setPalette,
  type PaletteName,
} from "../math/colour";
import { storedChoice } from "./storedChoice";

/** The palette's highlight ring and halo as CSS variables (styles/base.css uses them). */
function applyHighlight(name: PaletteName): void {
  if (typeof document === "undefined") return;
  const { highlight, halo } = PALETTES[name];
  document.documentElement.style.setProperty("--highlight", highlight);
  document.documentElement.style.setProperty("--highlight-halo", halo);
}

const palette = storedChoice<PaletteName>({
  key: "cnn101.palette",
  isValid: isPaletteName,
  get: currentPalette,
  set: (name) => {
    setPalette(name);
    applyHighlight(name);
  },
});

export const choosePalette = palette.choose;
export const usePalette = palette.use;
