/**
 * Dashed edges that flow from every intermediate map into the neuron's output map, drawn
 * behind the maps from where the browser laid them out (any number of input maps, any
 * width), inside the element that holds the edges. The dashes stand still under prefers-reduced-motion (see src/styles/views.css).
 */
import { useLayoutEffect, useRef, useState } from "react";
import { edgePath } from "../../math/layout";

interface FlowEdgesProps {
  /** Selector of the maps the edges leave from and of the one they all reach. */
  from: string;
  to: string;
}

/**
 * Layout position of `element` inside `container` (a positioned ancestor). Offsets, not
 * bounding boxes: the view may be mid-transition, scaled by a transform, when measured.
 */
function offsetWithin(element: HTMLElement, container: HTMLElement): { x: number; y: number } {
  let x = 0;
  let y = 0;
  let node: HTMLElement | null = element;
  while (node && node !== container) {
    x += node.offsetLeft;
    y += node.offsetTop;
    node = node.offsetParent instanceof HTMLElement ? node.offsetParent : null;
  }
  return { x, y };
}

export function FlowEdges({ from, to }: FlowEdgesProps) {
  const [paths, setPaths] = useState<string[]>([]);
  const svg = useRef<SVGSVGElement>(null);
  useLayoutEffect(() => {
    // The parent's own ref is not attached yet when a child's layout effect runs.
    const element = svg.current?.parentElement;
    if (!element) return;
    const measure = () => {
      const target = element.querySelector<HTMLElement>(to);
      if (!target) return;
      const end = offsetWithin(target, element);
      setPaths(
        [...element.querySelectorAll<HTMLElement>(from)].map((source) => {
          const start = offsetWithin(source, element);
          return edgePath(
            start.x + source.offsetWidth,
            start.y + source.offsetHeight / 2,
            end.x,
            end.y + target.offsetHeight / 2,
          );
        }),
      );
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [from, to]);
  return (
    <svg
      ref={svg}
      className="flow-edges"
      aria-hidden="true"
      data-testid="flow-edges"
      data-count={paths.length}
    >
      {paths.map((path, i) => (
        <path key={i} className="flow-edge" d={path} />
      ))}
    </svg>
  );
}
