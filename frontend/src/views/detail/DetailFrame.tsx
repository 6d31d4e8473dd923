/**
 * The frame every detail view shares: an overlay (components/Overlay.tsx) next to what was
 * clicked and always inside the window, titled, with a close button (and Escape) that
 * shrinks it into its origin again, and the view's short explanation.
 */
import type { ReactNode } from "react";
import { Overlay } from "../../components/Overlay";

interface DetailFrameProps {
  title: string;
  testId: string;
  /** Selector of the element the panel grows out of, sits next to and returns into. */
  origin: string | null;
  backLabel: string;
  onBack: () => void;
  help: ReactNode;
  /** Width the view is laid out for, in px (narrower windows get less). */
  width: number;
  children: ReactNode;
}

export function DetailFrame({
  title,
  testId,
  origin,
  backLabel,
  onBack,
  help,
  width,
  children,
}: DetailFrameProps) {
  return (
    <Overlay
      title={title}
      testId={testId}
      origin={origin}
      width={width}
      closeLabel={backLabel}
      onClose={onBack}
    >
      <p className="detail-help">{help}</p>
      {children}
    </Overlay>
  );
}
