/**
 * The lesson link as a QR code for the projector, drawn in the browser (uqr: no server,
 * as a lesson link needs none). One SVG path of the dark modules, with the quiet zone.
 */
import { encode } from "uqr";

/** The quiet zone around the code, in modules (the standard asks for 4). */
export const QUIET_ZONE = 4;

export interface QrDrawing {
  /** Width and height in modules, quiet zone included. */
  size: number;
  /** One unit square per dark module. */
  path: string;
}

/** The QR code of `text`, or null when it does not fit in one (over ~2,900 bytes). */
export function qrDrawing(text: string): QrDrawing | null {
  let data: boolean[][];
  try {
    // Low error correction: the code stays small enough to scan from the back of a room.
    data = encode(text, { ecc: "L", boostEcc: true, border: 0 }).data;
  } catch {
    return null;
  }
  const parts: string[] = [];
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) parts.push(`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`);
    }),
  );
  return { size: data.length + 2 * QUIET_ZONE, path: parts.join("") };
}
