/**
 * The static tutorial: one page at a time, a table of contents, previous/next. Figures do
 * not react to anything. Records which page is open and for how long.
 */
import { useEffect, useRef, useState } from "react";
import { PAGES } from "./pages";

type Record_ = (kind: string, payload: Record<string, unknown>) => void;

export function Tutorial({ record }: { record?: Record_ }) {
  const [index, setIndex] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const page = PAGES[index] ?? PAGES[0];
  const first = useRef(true);

  useEffect(() => {
    if (!page) return;
    const opened = performance.now();
    record?.("tutorial.page_view", { page: page.id });
    if (!first.current) heading.current?.focus();
    first.current = false;
    return () =>
      record?.("tutorial.page_time", { page: page.id, ms: Math.round(performance.now() - opened) });
  }, [page, record]);

  if (!page) return null;
  const Body = page.body;
  return (
    <div className="tutorial" data-testid="tutorial">
      <nav className="tutorial-contents" aria-label="Tutorial pages">
        <ol>
          {PAGES.map((entry, position) => (
            <li key={entry.id}>
              <button
                type="button"
                className="link-button"
                aria-current={position === index ? "page" : undefined}
                onClick={() => setIndex(position)}
              >
                {entry.title}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <article className="tutorial-page" data-page={page.id}>
        <h3 ref={heading} tabIndex={-1}>
          {page.title}
        </h3>
        <Body />
        <div className="tutorial-steps">
          <button type="button" disabled={index === 0} onClick={() => setIndex(index - 1)}>
            ← Previous
          </button>
          <span className="hint">
            Page {index + 1} of {PAGES.length}
          </span>
          <button
            type="button"
            disabled={index === PAGES.length - 1}
            onClick={() => setIndex(index + 1)}
          >
            Next →
          </button>
        </div>
      </article>
    </div>
  );
}
