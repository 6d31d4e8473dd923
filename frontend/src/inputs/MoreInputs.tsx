/**
 * The other ways to make a picture: a camera frame or a drawing, one panel open at a time.
 * The buttons are one Tab stop (arrow keys move between them).
 */
import { lazy, Suspense, useState } from "react";
import { moveFocusWithin } from "../components/roving";

// Not in the first load: fetched when the page is idle (prefetchInputPanels) or when opened.
const loadCamera = () => import("./CameraCapture");
const loadDrawing = () => import("./DrawingPad");
const CameraCapture = lazy(() =>
  loadCamera().then((module) => ({ default: module.CameraCapture })),
);
const DrawingPad = lazy(() => loadDrawing().then((module) => ({ default: module.DrawingPad })));

/** Fetches the panels' code ahead of a click. */
export function prefetchInputPanels(): void {
  void loadCamera();
  void loadDrawing();
}

export type Panel = "camera" | "drawing";

const LABELS: Record<Panel, string> = { camera: "Take a photo", drawing: "Draw a picture" };

interface MoreInputsProps {
  onImage: (file: Blob, filename: string) => Promise<string | null>;
  disabled: boolean;
  /** The panels offered (a lesson may hide either); none: nothing is rendered. */
  panels?: readonly Panel[];
}

export function MoreInputs({ onImage, disabled, panels = ["camera", "drawing"] }: MoreInputsProps) {
  const [open, setOpen] = useState<Panel | null>(null);
  if (panels.length === 0) return null;
  return (
    <>
      <div
        className="more-inputs"
        role="toolbar"
        aria-label="Make a picture"
        onKeyDown={moveFocusWithin}
      >
        {panels.map((panel, index) => (
          <button
            type="button"
            key={panel}
            tabIndex={index === 0 ? 0 : -1}
            aria-expanded={open === panel}
            aria-controls="input-panel"
            disabled={disabled}
            onClick={() => setOpen(open === panel ? null : panel)}
            data-testid={`open-${panel}`}
          >
            {LABELS[panel]}
          </button>
        ))}
      </div>
      {open !== null && panels.includes(open) && (
        <div className="input-panel" id="input-panel">
          <Suspense fallback={<p className="status">Loading…</p>}>
            {open === "camera" ? (
              <CameraCapture onImage={onImage} />
            ) : (
              <DrawingPad onImage={onImage} />
            )}
          </Suspense>
          <button
            type="button"
            className="input-panel-close"
            onClick={() => setOpen(null)}
            aria-label={`Close ${open === "camera" ? "the camera" : "the drawing"}`}
          >
            Close
          </button>
        </div>
      )}
    </>
  );
}
