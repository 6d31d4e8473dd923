/** The width of an element, following resizes (the overview fills its container). */
import { useEffect, useRef, useState, type RefObject } from "react";

export function useElementWidth(element: RefObject<HTMLElement | null>, fallback: number): number {
  const [width, setWidth] = useState(fallback);
  const observed = useRef<{ node: HTMLElement; observer: ResizeObserver } | null>(null);
  // After every render, since the element can be replaced by a remount (a palette change
  // remounts the views): observe whichever node the ref holds now.
  useEffect(() => {
    const node = element.current;
    if (observed.current?.node === node) return;
    observed.current?.observer.disconnect();
    observed.current = null;
    if (!node) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(node);
    observed.current = { node, observer };
  });
  useEffect(
    () => () => {
      observed.current?.observer.disconnect();
      observed.current = null;
    },
    [],
  );
  return width;
}
