/**
 * Whether the input's channels are drawn black to red, green and blue, or black to white
 * as in the paper's grey option, remembered like the palette (components/storedChoice.ts).
 */
import { currentInputStyle, isInputStyle, setInputStyle, type InputStyle } from "../math/colour";
import { storedChoice } from "./storedChoice";

const inputStyle = storedChoice<InputStyle>({
  key: "cnn101.inputStyle",
  isValid: isInputStyle,
  get: currentInputStyle,
  set: setInputStyle,
});

export const chooseInputStyle = inputStyle.choose;
export const useInputStyle = inputStyle.use;
