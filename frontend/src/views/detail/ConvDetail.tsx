/**
 * The convolution detail view: at one output pixel, the window of one input channel times
 * that channel's kernel slice, element by element, every product and their sum; then the
 * sums of all channels plus the bias, which is the neuron's value there.
 */
import { useEffect, useMemo, useState } from "react";
import { decimalsFor, decimalsThatAddUp, formatExact, formatFixed } from "../../math/arithmetic";
import { padPlane } from "../../math/ops";
import { channelPlane, extentOf } from "../../math/tensor";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { ChannelLegend, DivergingLegend } from "../../components/Legend";
import { WindowedMap } from "../conv/WindowedMap";
import { convPixelDetail, neuronMapData, type Pixel } from "./detailData";
import { DetailFrame } from "./DetailFrame";
import { NumberGrid } from "./NumberGrid";
import { PixelPicker } from "./PixelPicker";
import { SumLine } from "./SumLine";
import { usePixel } from "./usePixel";

interface ConvDetailProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  pixel: Pixel | null;
  channel: number | null;
  onPick: (pixel: Pixel, channel: number) => void;
  origin: string | null;
  onBack: () => void;
  /** The pixel on show (hovered or kept), for the intermediate view to follow. */
  onShown?: (pixel: Pixel) => void;
}

const CHANNEL_NAMES = ["red", "green", "blue"];
const magnitudeOf = (values: ArrayLike<number>) => {
  const { min, max } = extentOf(values);
  return Math.max(Math.abs(min), Math.abs(max));
};

export function ConvDetail({
  graph,
  layer,
  index,
  activations,
  weights,
  pixel,
  channel,
  onPick,
  origin,
  onBack,
  onShown,
}: ConvDetailProps) {
  const map = useMemo(
    () => neuronMapData(graph, layer, index, activations.outputs),
    [graph, layer, index, activations],
  );
  const position = usePixel(pixel, map.output, map.outputSize);
  const { y: shownY, x: shownX } = position.shown;
  useEffect(() => onShown?.({ y: shownY, x: shownX }), [shownY, shownX, onShown]);
  const detail = useMemo(
    () => convPixelDetail(graph, layer, index, position.shown, activations.outputs, weights),
    [graph, layer, index, position.shown, activations, weights],
  );
  const [cell, setCell] = useState<number | null>(null);
  const isInput = map.sourceLayer.type === "input";
  const channelName = (c: number) =>
    isInput
      ? `${CHANNEL_NAMES[c] ?? `channel ${c + 1}`} channel`
      : `${map.sourceLayer.name} map ${c + 1}`;
  const shownChannel = Math.min(Math.max(0, channel ?? 0), detail.channels.length - 1);
  const step = detail.channels[shownChannel];
  const [kh, kw] = detail.kernelSize;
  const { y, x } = position.shown;
  const sums = detail.channels.map((item) => item.sum);
  const allProducts = detail.channels.flatMap((item) => [...item.products]);
  // As few decimals as let both written sums add up as printed (the channel's sum is in both).
  const base = Math.max(decimalsFor(allProducts), decimalsFor([...sums, detail.bias]));
  const decimals = decimalsThatAddUp([[...(step?.products ?? [])], [...sums, detail.bias]], base);
  const inputDecimals = decimalsFor(detail.channels.flatMap((item) => [...item.inputs]));
  const weightDecimals = decimalsFor(detail.channels.flatMap((item) => [...item.weights]));
  const outputMagnitude = magnitudeOf(map.output);
  const { padding } = detail;
  const isPadded = padding.top + padding.bottom + padding.left + padding.right > 0;
  const [sourceHeight, sourceWidth] = map.sourceSize;
  const paddedSize: [number, number] = [
    sourceHeight + padding.top + padding.bottom,
    sourceWidth + padding.left + padding.right,
  ];
  const sourcePlane = useMemo(
    () => padPlane(channelPlane(map.source, shownChannel), sourceHeight, sourceWidth, padding),
    [map, shownChannel, sourceHeight, sourceWidth, padding],
  );
  const mapScale = 160 / Math.max(...paddedSize);
  const paddedCells = step ? [...step.padded].filter(Boolean).length : 0;
  const pick = (next: Pixel, nextChannel = shownChannel) => onPick(next, nextChannel);
  const cellText =
    cell === null || !step
      ? null
      : `row ${Math.floor(cell / kw) + 1}, column ${(cell % kw) + 1} of the window${step.padded[cell] ? " (padding)" : ""}: ${formatFixed(step.inputs[cell] ?? 0, inputDecimals)} × ${formatFixed(step.weights[cell] ?? 0, weightDecimals)} = ${formatFixed(step.products[cell] ?? 0, decimals)}`;

  return (
    <DetailFrame
      title={`${layer.name}, neuron ${index + 1}, row ${y + 1}, column ${x + 1}: one step of the convolution`}
      width={960}
      testId="conv-detail"
      origin={origin}
      backLabel="Back to the intermediate view"
      onBack={onBack}
      help={
        <>
          A convolution lays a small {kh}×{kw} grid of weights (the <em>kernel</em>) over a {kh}×
          {kw} window of each input map, multiplies each pair of numbers that lie on top of each
          other and adds the products up. Doing this for every input map and adding the results and
          one more number, the <em>bias</em>, gives one pixel of the neuron’s map. Point at or click
          the map on the left (or focus it and use the arrow keys) to move the window; choose an
          input map below.
        </>
      }
    >
      <div className="detail-body">
        <div className="detail-maps">
          <PixelPicker
            plane={map.output}
            height={map.outputSize[0]}
            width={map.outputSize[1]}
            magnitude={outputMagnitude}
            displaySize={160}
            pixel={position.shown}
            label={`${layer.name} neuron ${index + 1} output map`}
            testId="detail-output-map"
            describe={(p) =>
              `row ${p.y + 1}, column ${p.x + 1}, value ${formatExact(map.output[p.y * map.outputSize[1] + p.x] ?? 0)}`
            }
            onHover={position.hover}
            onPick={(next) => pick(next)}
          />
          <DivergingLegend magnitude={outputMagnitude} width={160} name="the neuron's map" />
          <span className="detail-caption">
            {layer.name} neuron {index + 1}
          </span>
          {step && (
            <>
              <div
                className="padded-map"
                style={{ position: "relative" }}
                data-testid="detail-source-map"
                data-padding={JSON.stringify(padding)}
              >
                <WindowedMap
                  plane={sourcePlane}
                  height={paddedSize[0]}
                  width={paddedSize[1]}
                  magnitude={magnitudeOf(map.source.data)}
                  displaySize={160}
                  inputChannel={isInput ? shownChannel : undefined}
                  box={{ y: detail.windowAt.y, x: detail.windowAt.x, height: kh, width: kw }}
                  label={`${channelName(shownChannel)}${isPadded ? " with its zero padding" : ""} and the window`}
                />
                {isPadded && (
                  <div
                    aria-hidden="true"
                    data-testid="input-border"
                    style={{
                      position: "absolute",
                      pointerEvents: "none",
                      outline: "1px dashed #9ca3af",
                      top: padding.top * mapScale,
                      left: padding.left * mapScale,
                      height: sourceHeight * mapScale,
                      width: sourceWidth * mapScale,
                    }}
                  />
                )}
              </div>
              {isInput ? (
                <ChannelLegend
                  channels={[shownChannel]}
                  width={160}
                  name={`the ${channelName(shownChannel)}`}
                />
              ) : (
                <DivergingLegend
                  magnitude={magnitudeOf(map.source.data)}
                  width={160}
                  name={`the maps of ${map.sourceLayer.name}`}
                />
              )}
              <span className="detail-caption">
                {channelName(shownChannel)}
                {isPadded && <> with “same” padding: zeros around it (outside the dashed line)</>}
              </span>
            </>
          )}
        </div>
        <div className="conv-detail-step">
          <div className="channel-tabs" role="group" aria-label="Input map to show">
            {detail.channels.map((item) => (
              <button
                type="button"
                key={item.channel}
                aria-pressed={item.channel === shownChannel}
                data-testid="channel-tab"
                aria-label={`${channelName(item.channel)}: its products add up to ${formatFixed(item.sum, decimals)}`}
                onClick={() => pick(position.kept, item.channel)}
              >
                {isInput ? ("RGB"[item.channel] ?? item.channel + 1) : item.channel + 1}
              </button>
            ))}
          </div>
          {step && (
            <>
              <div className="grid-equation">
                <NumberGrid
                  values={step.inputs}
                  rows={kh}
                  columns={kw}
                  decimals={inputDecimals}
                  magnitude={magnitudeOf(map.source.data)}
                  label={`window of ${channelName(shownChannel)}`}
                  active={cell}
                  onActive={setCell}
                  testId="window-grid"
                  padded={step.padded}
                />
                <div className="grid-term">
                  <span className="conv-op">×</span>
                  <NumberGrid
                    values={step.weights}
                    rows={kh}
                    columns={kw}
                    decimals={weightDecimals}
                    magnitude={magnitudeOf(step.weights)}
                    label="kernel slice"
                    active={cell}
                    onActive={setCell}
                    legend
                    testId="kernel-grid"
                  />
                </div>
                <div className="grid-term">
                  <span className="conv-op">=</span>
                  <NumberGrid
                    values={step.products}
                    rows={kh}
                    columns={kw}
                    decimals={decimals}
                    magnitude={magnitudeOf(step.products)}
                    label="products"
                    active={cell}
                    onActive={setCell}
                    legend
                    testId="product-grid"
                  />
                </div>
              </div>
              {paddedCells > 0 && (
                <p className="padding-note" data-testid="padding-note">
                  {paddedCells} of the window’s {kh * kw} cells lie on the padding (dashed): they
                  are zeros added around the map so that the output keeps its size, and their
                  products are 0.
                </p>
              )}
              <p className="cell-readout" aria-live="polite">
                {cellText ?? "Point at a number to see its multiplication."}
              </p>
              <SumLine
                values={[...step.products]}
                decimals={decimals}
                prefix={<>Sum of the {kh * kw} products: </>}
                testId="product-sum"
              />
            </>
          )}
        </div>
      </div>
      <div
        className="detail-total"
        data-testid="detail-total"
        data-total={detail.total}
        data-model={detail.model}
      >
        <SumLine
          values={[...sums, detail.bias]}
          decimals={decimals}
          marked={shownChannel}
          names={[...detail.channels.map((item) => channelName(item.channel)), "bias"]}
          prefix={<>One sum per input map ({detail.channels.length}) plus the bias: </>}
          testId="channel-sum"
        />
        <p className="conv-model-value">
          The model computed <strong>{formatExact(detail.model)}</strong> for this pixel
          {formatExact(detail.model) === formatExact(detail.total)
            ? "."
            : ` (it adds in float32 and in its own order; our sum in more precision is ${formatExact(detail.total)}).`}
        </p>
      </div>
    </DetailFrame>
  );
}
