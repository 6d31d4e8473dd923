/**
 * A modal overlay (role="dialog", aria-modal, named by its title) anchored next to what
 * opened it and always wholly inside the viewport (placement.ts); taller content scrolls
 * inside it. The focus moves to its title on opening, Tab goes round inside it, and the
 * focus returns to the element that opened it on closing (the close button or Escape). A
 * press outside it closes it at once and goes on to what was pressed (light dismiss, as a
 * popover does), so a teacher presenting can pick another picture or neuron straight
 * away. It grows out of its origin and shrinks back into it (views/motion.ts; nothing moves
 * under prefers-reduced-motion). Rendered into <body>, above everything on the page.
 */
import {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  type KeyboardEvent,
  type ReactNode,
} from "react";
import { createPortal } from "react-dom";
import { shrinkInto, useGrowFrom } from "../views/motion";
import { placeOverlay, type Side } from "./placement";

interface OverlayProps {
  /** The heading, which also names the dialog. */
  title: string;
  testId: string;
  /** Selector of the element it grows out of, is placed next to and returns into. */
  origin: string | null;
  /** Width the content is laid out for, in px (narrower on a small screen). */
  width: number;
  /** Text of the visible close button. */
  closeLabel: string;
  onClose: () => void;
  children: ReactNode;
}

const MARGIN = 16;
const GAP = 10;
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Overlay({
  title,
  testId,
  origin,
  width,
  closeLabel,
  onClose,
  children,
}: OverlayProps) {
  const dialog = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const side = useRef<Side | undefined>(undefined);
  const closing = useRef(false);
  const titleId = useId();
  // The latest props for the callbacks that outlive a render (animations, listeners).
  const latest = useRef({ origin, onClose });
  useEffect(() => {
    latest.current = { origin, onClose };
  });

  /** Places the dialog beside its origin, inside the viewport, from its content's height. */
  const place = useCallback(() => {
    const element = dialog.current;
    if (!element?.isConnected) return;
    const anchorElement = origin === null ? null : document.querySelector(origin);
    const bounds = anchorElement?.getBoundingClientRect();
    const anchor =
      bounds && bounds.width > 0 && bounds.height > 0
        ? { top: bounds.top, left: bounds.left, width: bounds.width, height: bounds.height }
        : null;
    const root = document.documentElement;
    const viewport = { width: root.clientWidth, height: root.clientHeight };
    const frame = element.offsetHeight - element.clientHeight;
    const placed = placeOverlay(anchor, { width, height: element.scrollHeight + frame }, viewport, {
      margin: MARGIN,
      gap: GAP,
      prefer: side.current,
    });
    side.current = placed.side;
    element.style.top = `${placed.top}px`;
    element.style.left = `${placed.left}px`;
    element.style.width = `${placed.width}px`;
    element.style.maxHeight = `${placed.maxHeight}px`;
    element.dataset.side = placed.side;
  }, [origin, width]);

  /** Back to the element that opened the overlay, or (opened by a link) to its origin. */
  const returnFocus = useCallback(() => {
    const kept = opener.current;
    const from = latest.current.origin;
    const target =
      kept?.isConnected === true
        ? kept
        : from === null
          ? null
          : document.querySelector<HTMLElement>(from);
    target?.focus({ preventScroll: true });
  }, []);

  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const active = document.activeElement;
    opener.current =
      active instanceof HTMLElement && active !== document.body && !element.contains(active)
        ? active
        : null;
    closing.current = false;
    place();
    heading.current?.focus({ preventScroll: true });
    return () => {
      // Closed from outside (Back in the browser, another neuron): the focus goes back too.
      if (!closing.current) {
        const now = document.activeElement;
        if (now === null || now === document.body || element.contains(now)) returnFocus();
      }
    };
    // Only on opening: later layout changes are followed by the observers below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  // After the placement above: the growth starts from the origin and ends where it was placed.
  useGrowFrom(dialog, origin);
  // A view opened at the same time (the conv view of a link) focuses itself in its own
  // effect, which runs first: the title takes the focus back.
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);

  useEffect(() => {
    const observed = content.current;
    if (!observed) return;
    const observer = new ResizeObserver(() => place());
    observer.observe(observed);
    window.addEventListener("resize", place);
    return () => {
      observer.disconnect();
      window.removeEventListener("resize", place);
    };
  }, [place]);

  // A press outside closes it at once, and the press goes on to what it was on.
  useEffect(() => {
    const onPointerDown = (event: PointerEvent) => {
      const element = dialog.current;
      if (closing.current || !element || !(event.target instanceof Node)) return;
      if (element.contains(event.target)) return;
      closing.current = true;
      latest.current.onClose();
      returnFocus();
    };
    document.addEventListener("pointerdown", onPointerDown, true);
    return () => document.removeEventListener("pointerdown", onPointerDown, true);
  }, [returnFocus]);

  const close = () => {
    if (closing.current) return;
    closing.current = true;
    shrinkInto(dialog.current, origin, () => {
      latest.current.onClose();
      returnFocus();
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    // Tab and Shift+Tab go round inside the dialog.
    const element = dialog.current;
    if (!element) return;
    const focusable = [...element.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (item) => item.offsetParent !== null || item === document.activeElement,
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === heading.current || active === element)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return createPortal(
    <>
      <div className="overlay-backdrop" aria-hidden="true" />
      <div
        ref={dialog}
        className="overlay"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        data-testid={testId}
        onKeyDown={onKeyDown}
      >
        <div ref={content} className="overlay-content">
          <header className="overlay-header">
            <h2 id={titleId} ref={heading} tabIndex={-1}>
              {title}
            </h2>
            <button
              type="button"
              className="overlay-close"
              onClick={close}
              data-testid="close-detail"
              aria-keyshortcuts="Escape"
            >
              <span aria-hidden="true">✕ </span>
              {closeLabel}
            </button>
          </header>
          <div className="overlay-body">{children}</div>
        </div>
      </div>
    </>,
    document.body,
  );
}
