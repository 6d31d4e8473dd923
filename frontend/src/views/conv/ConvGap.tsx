/**
 * What the convolution view draws in the overview's gap: per input channel, on that
 * channel's row, its kernel slice and its intermediate map; then the ⊕ with the bias, and the
 * neuron's own map (over the overview's neuron). The window is drawn over the input maps,
 * the intermediates and the output in sync. Dashed edges run only through the empty bands
 * between these columns, so they never cross a map.
 */
import { edgePath } from "../../math/layout";
import { GAP_EDGES, SUM_WIDTH, type Gap } from "../overview/expand";
import { Heatmap } from "../overview/Heatmap";
import { formatValue } from "../overview/planes";
import { divergingScale } from "../../math/colour";
import type { ConvNeuronData } from "./convData";
import { WindowedMap, type WindowBox } from "./WindowedMap";

/** Where the input maps and the neuron are, in the gap layer's coordinates. */
export interface GapPlacement {
  gap: Gap;
  width: number;
  height: number;
  /** Top-left of each input channel's map (the overview's neuron), and their side. */
  sources: { x: number; y: number }[];
  sourceSize: number;
  target: { x: number; y: number };
  targetSize: number;
  /** Standalone (no overview to open in): the view draws the input maps itself. */
  drawSources: boolean;
}

interface ConvGapProps {
  data: ConvNeuronData;
  placement: GapPlacement;
  sourceBox: WindowBox;
  pixelBox: WindowBox;
  isInput: boolean;
  onPoint: (y: number, x: number) => void;
  /** Opens the arithmetic of the window's pixel (channel: an intermediate map's); absent when hidden. */
  onPick?: (channel: number | null) => void;
  /** Names the window's pixel for the buttons' labels. */
  where: string;
}

const CIRCLE = 28;
/** A map's 1 px frame on both sides: each box is exactly its size, frame included. */
const FRAME = 2;

export function ConvGap({
  data,
  placement,
  sourceBox,
  pixelBox,
  isInput,
  onPoint,
  onPick,
  where,
}: ConvGapProps) {
  const { gap, sources, sourceSize, target, targetSize } = placement;
  const [kh, kw] = data.kernelSize;
  const [outHeight, outWidth] = data.outputSize;
  const [e1, e2, e3] = GAP_EDGES;
  const kernelX = gap.left + e1;
  const mapX = kernelX + gap.kernelSize + e2;
  const sumX = mapX + gap.mapSize + e3;
  const targetMiddle = target.y + targetSize / 2;
  const sumY = targetMiddle - CIRCLE / 2;
  // The bias box goes under the ⊕, or over it near the bottom, where there is no room.
  const biasBelow = targetMiddle < placement.height / 2;
  const sourceScale = sourceSize / Math.max(data.sourceSize[0], data.sourceSize[1]);
  // Each edge with what it joins: into a kernel slice, an intermediate map, the sum, the neuron.
  const paths: { d: string; joins: string }[] = [];
  sources.forEach((source) => {
    const middle = source.y + sourceSize / 2;
    paths.push({ d: `M${source.x + sourceSize},${middle}H${kernelX}`, joins: "kernel" });
    paths.push({ d: `M${kernelX + gap.kernelSize},${middle}H${mapX}`, joins: "intermediate" });
    paths.push({ d: edgePath(mapX + gap.mapSize, middle, sumX, targetMiddle), joins: "sum" });
  });
  paths.push({ d: `M${sumX + CIRCLE},${targetMiddle}H${target.x}`, joins: "neuron" });
  const colour = divergingScale(data.magnitudes.output)(data.bias);
  const output = (
    <WindowedMap
      plane={data.output}
      height={outHeight}
      width={outWidth}
      magnitude={data.magnitudes.output}
      displaySize={targetSize - FRAME}
      box={pixelBox}
      label={`${data.layer.name} neuron output map`}
      onPoint={onPoint}
    />
  );
  return (
    <div className="conv-gap" style={{ width: placement.width, height: placement.height }}>
      <svg
        className="flow-edges"
        width={placement.width}
        height={placement.height}
        aria-hidden="true"
        data-testid="flow-edges"
        data-count={sources.length}
      >
        {paths.map((path, i) => (
          <path key={i} className="flow-edge" d={path.d} data-joins={path.joins} />
        ))}
      </svg>
      {sources.map((source, channel) => {
        const step = data.channels[channel];
        if (!step) return null;
        const label = `${data.sourceLayer.name} channel ${channel + 1}`;
        return placement.drawSources ? (
          <div key={channel} className="gap-item" style={{ left: source.x, top: source.y }}>
            <WindowedMap
              plane={step.source}
              height={data.sourceSize[0]}
              width={data.sourceSize[1]}
              magnitude={data.magnitudes.source}
              displaySize={sourceSize - FRAME}
              box={sourceBox}
              inputChannel={isInput ? channel : undefined}
              label={label}
            />
          </div>
        ) : (
          <div
            key={channel}
            className="window-box gap-window"
            style={{
              left: source.x + 1 + sourceBox.x * sourceScale,
              top: source.y + 1 + sourceBox.y * sourceScale,
              width: sourceBox.width * sourceScale,
              height: sourceBox.height * sourceScale,
            }}
          />
        );
      })}
      {data.channels.map((step) => {
        const source = sources[step.channel];
        if (!source) return null;
        const middle = source.y + sourceSize / 2;
        const intermediate = (
          <WindowedMap
            plane={step.intermediate}
            height={outHeight}
            width={outWidth}
            magnitude={data.magnitudes.intermediate}
            displaySize={gap.mapSize - FRAME}
            box={pixelBox}
            label={`intermediate map ${step.channel + 1}`}
          />
        );
        return (
          <div className="conv-row" key={step.channel}>
            <div
              className="conv-kernel gap-item"
              data-testid="kernel-slice"
              role="img"
              aria-label={`kernel slice for channel ${step.channel + 1}`}
              style={{ left: kernelX, top: middle - gap.kernelSize / 2 }}
            >
              <Heatmap
                plane={step.kernel}
                height={kh}
                width={kw}
                magnitude={data.magnitudes.kernel}
                displaySize={gap.kernelSize - FRAME}
              />
            </div>
            {onPick ? (
              <button
                type="button"
                className="map-button gap-item"
                data-testid="intermediate-map"
                style={{ left: mapX, top: middle - gap.mapSize / 2 }}
                onClick={() => onPick(step.channel)}
                aria-label={`Intermediate map ${step.channel + 1}: show its arithmetic at ${where}`}
              >
                {intermediate}
              </button>
            ) : (
              <div
                className="map-button gap-item"
                data-testid="intermediate-map"
                style={{ left: mapX, top: middle - gap.mapSize / 2 }}
              >
                {intermediate}
              </div>
            )}
          </div>
        );
      })}
      <div
        className={`bias-glyph gap-item${biasBelow ? "" : " bias-above"}`}
        data-testid="bias-glyph"
        data-bias={data.bias}
        style={{
          left: sumX,
          top: biasBelow ? sumY : undefined,
          bottom: biasBelow ? undefined : placement.height - sumY - CIRCLE,
          width: SUM_WIDTH,
        }}
      >
        <span className="sum-circle" aria-hidden="true" style={{ width: CIRCLE, height: CIRCLE }}>
          +
        </span>
        <span
          className="bias-box"
          style={{ background: colour, color: textOn(data.bias, data.magnitudes.output) }}
          role="img"
          aria-label={`bias ${formatValue(data.bias)}, added to every pixel`}
        >
          {formatValue(data.bias)}
        </span>
        <span className="bias-label">bias</span>
      </div>
      <div className="gap-item" style={{ left: target.x, top: target.y }}>
        {onPick ? (
          <button
            type="button"
            className="map-button"
            data-testid="conv-output-map"
            onClick={() => onPick(null)}
            aria-label={`${data.layer.name} output map: show the arithmetic at ${where}`}
          >
            {output}
          </button>
        ) : (
          <div className="map-button" data-testid="conv-output-map">
            {output}
          </div>
        )}
      </div>
    </div>
  );
}

/** Dark text on light colours, white on strong ones (as the number grids do). */
function textOn(value: number, magnitude: number): string {
  return magnitude > 0 && Math.abs(value) / magnitude > 0.55 ? "white" : "#1f2328";
}
