/**
 * The convolutional intermediate view: each channel of the previous layer convolved with
 * its own kernel slice into an intermediate map; the intermediates plus the bias give the
 * neuron. One window slides over all of them in sync; its arithmetic is written out.
 */
import { useEffect, useMemo, useRef } from "react";
import type { Pixel } from "../detail/detailData";
import { shrinkInto, useGrowFrom } from "../motion";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { ChannelLegend, DivergingLegend } from "../../components/Legend";
import { Heatmap } from "../overview/Heatmap";
import { convNeuronData } from "./convData";
import { FlowEdges } from "./FlowEdges";
import { useSlidingWindow } from "./useSlidingWindow";
import { WindowedMap } from "./WindowedMap";
import { WindowSum } from "./WindowSum";

interface ConvViewProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  /** The overview neuron this view grows out of. */
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

const MAP_SIZE = 64;
const KERNEL_SIZE = 36;
const LEGEND_WIDTH = 170;

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
  const reducedMotion = slider.reducedMotion;
  useEffect(() => {
    section.current?.scrollIntoView({
      behavior: reducedMotion ? "auto" : "smooth",
      block: "start",
    });
    // Keyboard and screen-reader users land in the view they opened (Escape returns).
    section.current?.focus({ preventScroll: true });
    // Its maps are painted (children's effects run first): scripts/bench_spa.py times to here.
    performance.mark("cnn101:conv-view-drawn");
  }, [reducedMotion]);
  useGrowFrom(section, origin);
  const focusY = focus?.y;
  const focusX = focus?.x;
  const moveTo = slider.moveTo;
  useEffect(() => {
    if (focusY !== undefined && focusX !== undefined) moveTo(focusY, focusX);
  }, [focusY, focusX, moveTo]);
  const here = { y: slider.y, x: slider.x };
  const close = () =>
    shrinkInto(section.current, origin, () => {
      onClose();
      if (origin !== null)
        document.querySelector<HTMLElement>(origin)?.focus({ preventScroll: true });
    });

  return (
    <section
      ref={section}
      className={`conv-view${focus ? " view-context" : ""}`}
      aria-label={`How ${layer.name} neuron ${index + 1} is computed`}
      data-testid="conv-view"
      tabIndex={-1}
      onKeyDown={(event) => {
        // A detail view inside handles its own Escape and stops it there.
        if (event.key !== "Escape") return;
        event.stopPropagation();
        close();
      }}
    >
      <header className="conv-view-header">
        <h2>
          {layer.name}, neuron {index + 1}: a convolution step by step
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
            row {slider.y + 1}, column {slider.x + 1}
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
        Each of the {data.channels.length} maps of <strong>{data.sourceLayer.name}</strong> is
        multiplied, window by window, with its own {kh}×{kw} slice of the filter (the small squares)
        into an intermediate map. Adding the intermediate maps and the bias gives this neuron’s map.
        {onDetail &&
          " Click the output map or an intermediate map to see the arithmetic of one pixel."}{" "}
        {slider.reducedMotion
          ? "Animation is off because your system asks for reduced motion; step through or point at the output."
          : "Point at the output map to move the window yourself."}
      </p>
      <div className="conv-body">
        <FlowEdges from='[data-testid="intermediate-map"]' to='[data-testid="conv-output-map"]' />
        <div className="conv-rows">
          {data.channels.map((step) => (
            <div className="conv-row" key={step.channel}>
              <WindowedMap
                plane={step.source}
                height={data.sourceSize[0]}
                width={data.sourceSize[1]}
                magnitude={data.magnitudes.source}
                displaySize={MAP_SIZE}
                box={sourceBox}
                inputChannel={isInput ? step.channel : undefined}
                label={`${data.sourceLayer.name} channel ${step.channel + 1}`}
              />
              <span className="conv-op">∗</span>
              <div
                className="conv-kernel"
                role="img"
                aria-label={`kernel slice for channel ${step.channel + 1}`}
              >
                <Heatmap
                  plane={step.kernel}
                  height={kh}
                  width={kw}
                  magnitude={data.magnitudes.kernel}
                  displaySize={KERNEL_SIZE}
                />
              </div>
              <span className="conv-op">=</span>
              {onDetail ? (
                <button
                  type="button"
                  className="map-button"
                  data-testid="intermediate-map"
                  onClick={() => onDetail(here, step.channel)}
                  aria-label={`Intermediate map ${step.channel + 1}: show its arithmetic at row ${slider.y + 1}, column ${slider.x + 1}`}
                >
                  <WindowedMap
                    plane={step.intermediate}
                    height={outHeight}
                    width={outWidth}
                    magnitude={data.magnitudes.intermediate}
                    displaySize={MAP_SIZE}
                    box={pixelBox}
                    label={`intermediate map ${step.channel + 1}`}
                  />
                </button>
              ) : (
                <div className="map-button" data-testid="intermediate-map">
                  <WindowedMap
                    plane={step.intermediate}
                    height={outHeight}
                    width={outWidth}
                    magnitude={data.magnitudes.intermediate}
                    displaySize={MAP_SIZE}
                    box={pixelBox}
                    label={`intermediate map ${step.channel + 1}`}
                  />
                </div>
              )}
            </div>
          ))}
        </div>
        <WindowSum
          data={data}
          y={slider.y}
          x={slider.x}
          onPoint={slider.moveTo}
          onPick={onDetail && ((y, x) => onDetail({ y, x }, null))}
        />
      </div>
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
    </section>
  );
}
