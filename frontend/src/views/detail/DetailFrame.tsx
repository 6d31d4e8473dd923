/**
 * The frame every detail view shares: a titled panel that grows out of what was clicked,
 * a way back (button or Escape) that shrinks it into its origin again, and the view's
 * short explanation.
 */
import { useEffect, useRef, type ReactNode } from "react";
import { prefersReducedMotion, shrinkInto, useGrowFrom } from "../motion";

interface DetailFrameProps {
  title: string;
  /** Spoken name of the panel. */
  label: string;
  testId: string;
  /** Selector of the element the panel grows out of and returns into. */
  origin: string | null;
  backLabel: string;
  onBack: () => void;
  help: ReactNode;
  children: ReactNode;
}

export function DetailFrame({
  title,
  label,
  testId,
  origin,
  backLabel,
  onBack,
  help,
  children,
}: DetailFrameProps) {
  const panel = useRef<HTMLElement>(null);
  useGrowFrom(panel, origin);
  // Keyboard and screen-reader users land in the view they opened, and return where they were.
  useEffect(() => {
    panel.current?.focus({ preventScroll: true });
    panel.current?.scrollIntoView({
      behavior: prefersReducedMotion() ? "auto" : "smooth",
      block: "nearest",
    });
  }, []);
  const back = () =>
    shrinkInto(panel.current, origin, () => {
      onBack();
      if (origin !== null)
        document.querySelector<HTMLElement>(origin)?.focus({ preventScroll: true });
    });
  return (
    <section
      ref={panel}
      className="detail-view"
      tabIndex={-1}
      aria-label={label}
      data-testid={testId}
      onKeyDown={(event) => {
        if (event.key !== "Escape") return;
        event.stopPropagation();
        back();
      }}
    >
      <header className="conv-view-header">
        <h2>{title}</h2>
        <button type="button" className="detail-back" onClick={back} data-testid="close-detail">
          {backLabel}
        </button>
      </header>
      <p className="detail-help">{help}</p>
      {children}
    </section>
  );
}
