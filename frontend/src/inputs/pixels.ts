/** Pixel work behind the inputs, no UI: channel switching and the square a camera frame gives. */

export const CHANNELS = ["red", "green", "blue"] as const;

/**
 * RGB bytes (H x W x 3, the bundle's input) → RGBA bytes for a canvas, with the channels
 * switched off set to zero. `on[c]` false zeroes channel c.
 */
export function rgbaWithChannels(rgb: Uint8Array, on: readonly boolean[]): Uint8ClampedArray {
  const count = Math.floor(rgb.length / 3);
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i += 1) {
    for (let c = 0; c < 3; c += 1) rgba[i * 4 + c] = on[c] === false ? 0 : (rgb[i * 3 + c] ?? 0);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** A file name that says what was done, e.g. "picture-no-red-green.png". */
export function channelFileName(on: readonly boolean[]): string {
  const off = CHANNELS.filter((_, c) => on[c] === false);
  return off.length === 0 ? "picture.png" : `picture-no-${off.join("-")}.png`;
}

/** The centred square of a width x height frame (the gateway would crop the same way). */
export function centreSquare(
  width: number,
  height: number,
): { x: number; y: number; side: number } {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side };
}

/** What a failed getUserMedia means for a student, by the DOMException's name. */
export function cameraProblem(error: unknown, secureContext: boolean): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  if (!secureContext || name === "NoMediaDevices") {
    return "The browser allows the camera only on a secure (https) address or on this computer itself. Ask your teacher for the https address, or upload a photo instead.";
  }
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "The browser was not allowed to use the camera. Allow the camera for this page (the camera icon in the address bar), then try again, or upload a photo instead.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No camera was found. Connect a camera and try again, or upload a photo instead.";
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return "The camera is busy (another program may be using it). Close that program and try again.";
  }
  return "The camera could not be started. Try again, or upload a photo instead.";
}
