/** A page of the flow; its heading takes the focus so a screen reader announces the step. */
import { useEffect, useRef, type ReactNode } from "react";

export function Page({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [title]);
  return (
    <section className="study-page" aria-labelledby="page-title">
      <h2 id="page-title" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </section>
  );
}
