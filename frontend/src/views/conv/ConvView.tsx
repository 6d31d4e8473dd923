/**
 * The convolutional intermediate view: each channel of the previous layer convolved with
 * its own kernel slice into an intermediate map; the intermediates plus the bias give the
 * neuron. It opens in place, inside the overview (a gap opens between the input column and
 * the neuron's column, see overview/expand.ts); its controls, arithmetic and colour legends
 * sit in a strip right under the overview. One window slides over all the maps in sync.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { createPortal } from "react-dom";
import type { Pixel } from "../detail/detailData";
import { fadeIn, fadeOut, prefersReducedMotion } from "../motion";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { ChannelLegend, DivergingLegend } from "../../components/Legend";
import { gapWidth } from "../overview/expand";
import { requestRoom, useRoom, type InPlaceRoom } from "../overview/inplace";
import { convNeuronData, type ConvNeuronData } from "./convData";
import { ConvGap, type GapPlacement } from "./ConvGap";
import { useSlidingWindow } from "./useSlidingWindow";
import { WindowSum } from "./WindowSum";

interface ConvViewProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  /** The overview neuron this view opens from: focus goes back to it on closing. */
  origin: string | null;
  /** The pixel of an open detail view: the window waits there. */
  focus: Pixel | null;
  /**
   * Opens the convolution detail at a pixel (and an input channel, when one was clicked);
   * absent when a lesson hides the detail, and then nothing offers it.
   */
  onDetail?: (pixel: Pixel, channel: number | null) => void;
  onClose: () => void;
}

const LEGEND_WIDTH = 130;
/** Without an overview (a lesson may hide it), the view lays its maps out on its own. */
const STANDALONE_MAP = 64;
const STANDALONE_KERNEL = 36;
const STANDALONE_ROW = 70;

/** Where the maps go inside the overview's gap, from the room the overview opened. */
function inPlacement(
  room: Extract<InPlaceRoom, { host: HTMLElement }>,
  index: number,
): GapPlacement | null {
  const { layout, gap } = room;
  const source = layout.columns[gap.sourceColumn];
  const target = layout.columns[gap.targetColumn];
  const neuron = target?.neurons[index];
  if (!source || !target || !neuron) return null;
  return {
    gap,
    width: layout.width,
    height: layout.height,
    sources: source.neurons.map(({ x, y }) => ({ x, y })),
    sourceSize: source.width,
    target: { x: neuron.x, y: neuron.y },
    targetSize: target.width,
    drawSources: false,
  };
}

/** The same picture on its own: input maps in a column, the gap, the neuron on the middle row. */
function standalonePlacement(data: ConvNeuronData): GapPlacement {
  const rows = data.channels.length;
  const left = STANDALONE_MAP;
  const right = left + gapWidth(STANDALONE_MAP, STANDALONE_KERNEL);
  const height = rows * STANDALONE_ROW;
  return {
    gap: {
      sourceColumn: 0,
      targetColumn: 1,
      left,
      right,
      mapSize: STANDALONE_MAP,
      kernelSize: STANDALONE_KERNEL,
    },
    width: right + STANDALONE_MAP,
    height,
    sources: data.channels.map((_, row) => ({ x: 0, y: row * STANDALONE_ROW })),
    sourceSize: STANDALONE_MAP,
    target: { x: right, y: Math.floor((rows - 1) / 2) * STANDALONE_ROW },
    targetSize: STANDALONE_MAP,
    drawSources: true,
  };
}

/**
 * Shows both the overview's top and the strip's bottom: when the strip comes close to the
 * screen's bottom (its sum may wrap to one more line as the window moves), the overview
 * goes to the top of the screen.
 */
function showWhole(strip: HTMLElement): void {
  const overview = document.querySelector('[data-testid="overview"]');
  const top = (overview ?? strip).getBoundingClientRect().top;
  const bottom = strip.getBoundingClientRect().bottom;
  const margin = 8;
  const wrapRoom = 40;
  const by = bottom + wrapRoom > window.innerHeight ? top - margin : Math.min(0, top - margin);
  if (by !== 0) window.scrollBy({ top: by, behavior: "instant" });
}

export function ConvView({
  graph,
  layer,
  index,
  activations,
  weights,
  origin,
  focus,
  onDetail,
  onClose,
}: ConvViewProps) {
  const data = useMemo(
    () => convNeuronData(graph, layer, index, activations.outputs, weights),
    [graph, layer, index, activations, weights],
  );
  const [outHeight, outWidth] = data.outputSize;
  const slider = useSlidingWindow(outHeight, outWidth, focus);
  const [kh, kw] = data.kernelSize;
  const sourceBox = {
    y: slider.y * data.stride[0] - data.padding.top,
    x: slider.x * data.stride[1] - data.padding.left,
    height: kh,
    width: kw,
  };
  const pixelBox = { y: slider.y, x: slider.x, height: 1, width: 1 };
  const isInput = data.sourceLayer.type === "input";
  const section = useRef<HTMLElement>(null);
  const [closing, setClosing] = useState(false);
  // Ask the overview for room around the neuron; without an overview (or room), stand alone.
  const [noOverview] = useState(() => document.querySelector('[data-testid="overview"]') === null);
  useLayoutEffect(() => {
    requestRoom({ layer: layer.name, index, closing });
  }, [layer.name, index, closing]);
  useLayoutEffect(() => () => requestRoom(null), []);
  const offered = useRoom();
  const room = offered?.layer === layer.name ? offered : null;
  const inPlace = room?.host ? inPlacement(room, index) : null;
  const standalone = noOverview || room?.host === null;
  const placement = inPlace ?? (standalone ? standalonePlacement(data) : null);
  const shown = placement !== null;
  const opensInPlace = inPlace !== null;
  const drawn = useRef(false);
  useEffect(() => {
    if (!shown || drawn.current || !section.current) return;
    drawn.current = true;
    showWhole(section.current);
    if (opensInPlace) fadeIn(section.current);
    // Keyboard and screen-reader users land in the view they opened (Escape returns).
    section.current.focus({ preventScroll: true });
    // Its maps are painted (children's effects run first): scripts/bench_spa.py times to here.
    performance.mark("cnn101:conv-view-drawn");
  }, [shown, opensInPlace]);
  // The overview fits its maps above the strip once it has measured it: show both again.
  const roomHeight = room?.host ? room.layout.height : null;
  useEffect(() => {
    if (drawn.current && roomHeight !== null && section.current) showWhole(section.current);
  }, [roomHeight]);
  const focusY = focus?.y;
  const focusX = focus?.x;
  const moveTo = slider.moveTo;
  useEffect(() => {
    if (focusY !== undefined && focusX !== undefined) moveTo(focusY, focusX);
  }, [focusY, focusX, moveTo]);
  const here = { y: slider.y, x: slider.x };
  const where = `row ${slider.y + 1}, column ${slider.x + 1}`;
  const close = () => {
    const done = () => {
      onClose();
      if (origin !== null)
        document.querySelector<HTMLElement>(origin)?.focus({ preventScroll: true });
    };
    // The view fades while the columns slide back, then it goes (at once with reduced motion).
    if (prefersReducedMotion() || !inPlace) done();
    else {
      setClosing(true);
      fadeOut(section.current, done);
    }
  };
  if (placement === null) return null;

  const view = (
    <section
      ref={section}
      className={`conv-view${inPlace ? " conv-in-place" : ""}${focus ? " view-context" : ""}`}
      aria-label={`How ${layer.name} neuron ${index + 1} is computed`}
      data-testid="conv-view"
      tabIndex={-1}
      style={inPlace ? { width: placement.width } : undefined}
      onKeyDown={(event) => {
        // A detail view inside handles its own Escape and stops it there.
        if (event.key !== "Escape") return;
        event.stopPropagation();
        close();
      }}
    >
      <header className="conv-view-header">
        <h2>
          {layer.name}, neuron {index + 1}: step by step
        </h2>
        <div className="conv-controls">
          <button type="button" onClick={() => slider.step(-1)} aria-label="Step back">
            ◀
          </button>
          <button type="button" onClick={slider.toggle} data-testid="play-pause">
            {slider.playing ? "Pause" : "Play"}
          </button>
          <button
            type="button"
            onClick={() => slider.step(1)}
            aria-label="Step forward"
            data-testid="step"
          >
            ▶
          </button>
          <span className="conv-position" data-testid="window-position">
            {where}
          </span>
          {onDetail && (
            <button
              type="button"
              onClick={() => {
                slider.pause();
                onDetail(here, null);
              }}
              data-testid="open-conv-detail"
            >
              Show the arithmetic
            </button>
          )}
          <button type="button" onClick={close} data-testid="close-conv">
            Back to the overview
          </button>
        </div>
      </header>
      <p className="conv-help">
        Each map of <strong>{data.sourceLayer.name}</strong> ∗ its own {kh}×{kw} slice of the filter
        = an intermediate map; their sum plus the bias is this neuron’s map.{" "}
        {slider.reducedMotion
          ? "Animation is off (reduced motion): step, or point at the neuron’s map."
          : "Point at the neuron’s map to move the window."}
      </p>
      <div className="conv-strip-row">
        <WindowSum data={data} y={slider.y} x={slider.x} />
        <div className="conv-legends" data-testid="conv-legends">
          {isInput ? (
            <ChannelLegend
              channels={data.channels.map((step) => step.channel)}
              label="Input maps"
              width={LEGEND_WIDTH}
            />
          ) : (
            <DivergingLegend
              magnitude={data.magnitudes.source}
              label="Input maps"
              width={LEGEND_WIDTH}
            />
          )}
          <DivergingLegend
            magnitude={data.magnitudes.kernel}
            label="Kernel slices"
            width={LEGEND_WIDTH}
          />
          <DivergingLegend
            magnitude={data.magnitudes.intermediate}
            label="Intermediate maps"
            width={LEGEND_WIDTH}
          />
          <DivergingLegend
            magnitude={data.magnitudes.output}
            label="Output map and bias"
            width={LEGEND_WIDTH}
          />
        </div>
      </div>
      {/* After the controls, for screen readers: it is drawn over the overview (its gap). */}
      <div
        className={inPlace ? "conv-gap-layer" : "conv-gap-standalone"}
        style={{ width: placement.width, height: placement.height }}
      >
        <ConvGap
          data={data}
          placement={placement}
          sourceBox={sourceBox}
          pixelBox={pixelBox}
          isInput={isInput}
          onPoint={slider.moveTo}
          onPick={
            onDetail &&
            ((channel) => {
              slider.pause();
              onDetail(here, channel);
            })
          }
          where={where}
        />
      </div>
    </section>
  );
  return inPlace && room?.host ? createPortal(view, room.host) : view;
}
