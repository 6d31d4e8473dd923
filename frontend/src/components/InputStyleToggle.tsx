/** Draws the input's channels in grey (black to white) instead of black to red, green, blue. */
import { chooseInputStyle, useInputStyle } from "./inputStyle";

/** `tabIndex`: its place in a toolbar's roving Tab stop (components/roving.ts). */
export function InputStyleToggle({ tabIndex }: { tabIndex?: number }) {
  const grey = useInputStyle() === "grey";
  return (
    <label
      className="palette-toggle"
      title="Each input channel from black (0) to white (1) instead of to full red, green or blue"
    >
      <input
        type="checkbox"
        tabIndex={tabIndex}
        checked={grey}
        onChange={(event) => chooseInputStyle(event.target.checked ? "grey" : "colour")}
        data-testid="input-grey-toggle"
      />
      Input channels in grey
    </label>
  );
}
