/**
 * The ReLU detail view: one pixel of the input map, max(0, x) drawn as a graph with that
 * pixel's value marked on it, and the pixel of the output map it gives.
 */
import { useMemo } from "react";
import { decimalsFor, formatExact, roundedValue } from "../../math/arithmetic";
import { channelPlane, extentOf } from "../../math/tensor";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { DivergingLegend } from "../../components/Legend";
import { WindowedMap } from "../conv/WindowedMap";
import { neuronMapData, reluPixelValues, type Pixel } from "./detailData";
import { DetailFrame } from "./DetailFrame";
import { PixelPicker } from "./PixelPicker";
import { usePixel } from "./usePixel";

interface ReluDetailProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  pixel: Pixel | null;
  onPick: (pixel: Pixel) => void;
  origin: string | null;
  onBack: () => void;
}

const GRAPH = { width: 240, height: 150, margin: 22 };

/** max(0, x) over [−m, m] with the current input marked; zero sits in the middle. */
function ReluGraph({
  input,
  output,
  magnitude,
  inputText,
  outputText,
}: {
  input: number;
  output: number;
  magnitude: number;
  inputText: string;
  outputText: string;
}) {
  const m = magnitude > 0 ? magnitude : 1;
  const { width, height, margin } = GRAPH;
  const sx = (value: number) => margin + ((value + m) / (2 * m)) * (width - 2 * margin);
  const sy = (value: number) => height - margin - (value / m) * (height - 2 * margin);
  const px = sx(Math.max(-m, Math.min(m, input)));
  const py = sy(Math.max(0, Math.min(m, output)));
  return (
    <svg
      className="relu-graph"
      width={width}
      height={height}
      role="img"
      aria-label={`Graph of max(0, x); the current input ${inputText} gives ${outputText}`}
      data-testid="relu-graph"
    >
      <line className="axis" x1={margin} x2={width - margin} y1={sy(0)} y2={sy(0)} />
      <line className="axis" x1={sx(0)} x2={sx(0)} y1={margin / 2} y2={height - margin} />
      <polyline
        className="relu-line"
        points={`${sx(-m)},${sy(0)} ${sx(0)},${sy(0)} ${sx(m)},${sy(m)}`}
      />
      <line className="relu-guide" x1={px} x2={px} y1={sy(0)} y2={py} />
      <circle
        className="relu-point"
        cx={px}
        cy={py}
        r={5}
        data-testid="relu-point"
        data-input={input}
      />
      <text x={width - margin} y={sy(0) + 15} textAnchor="end" className="axis-label">
        x (input)
      </text>
      <text x={sx(0) + 4} y={margin / 2 + 8} className="axis-label">
        max(0, x)
      </text>
      <text x={sx(-m)} y={sy(0) + 15} className="axis-label">
        {formatExact(-Number(m.toPrecision(2)))}
      </text>
    </svg>
  );
}

export function ReluDetail({
  graph,
  layer,
  index,
  activations,
  pixel,
  onPick,
  origin,
  onBack,
}: ReluDetailProps) {
  const map = useMemo(
    () => neuronMapData(graph, layer, index, activations.outputs),
    [graph, layer, index, activations],
  );
  const sourcePlane = useMemo(() => channelPlane(map.source, index), [map, index]);
  const { min, max } = extentOf(sourcePlane);
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  const position = usePixel(pixel, map.output, map.outputSize);
  const { y, x } = position.shown;
  const { input, output } = reluPixelValues(map, index, position.shown);
  const decimals = decimalsFor(sourcePlane);
  const inputShown = roundedValue(input, decimals);
  const outputShown = roundedValue(output, decimals);
  const notes = [
    inputShown.note && `input ${inputShown.note}`,
    outputShown.note && output !== input && `output ${outputShown.note}`,
  ].filter(Boolean);

  return (
    <DetailFrame
      title={`${layer.name}, neuron ${index + 1}, row ${y + 1}, column ${x + 1}: ReLU`}
      width={800}
      testId="relu-detail"
      origin={origin}
      backLabel="Back to the overview"
      onBack={onBack}
      help={
        <>
          ReLU (rectified linear unit) looks at every pixel on its own: a positive value goes
          through unchanged, a negative value becomes 0. It is written max(0, x): the bigger of 0
          and x. Without it, stacking layers would only ever add and scale numbers; with it, the
          network can build up more complex patterns. Point at, click or use the arrow keys on the
          output map.
        </>
      }
    >
      <div className="detail-body">
        <div className="detail-maps-block">
          <div className="detail-maps detail-maps-row">
            <figure className="detail-map">
              <WindowedMap
                plane={sourcePlane}
                height={map.sourceSize[0]}
                width={map.sourceSize[1]}
                magnitude={magnitude}
                displaySize={160}
                box={{ y, x, height: 1, width: 1 }}
                label={`${map.sourceLayer.name} map ${index + 1}, the input`}
              />
              <figcaption>
                {map.sourceLayer.name} map {index + 1} (input)
              </figcaption>
            </figure>
            <span className="conv-op" aria-hidden="true">
              →
            </span>
            <figure className="detail-map">
              <PixelPicker
                plane={map.output}
                height={map.outputSize[0]}
                width={map.outputSize[1]}
                magnitude={magnitude}
                displaySize={160}
                pixel={position.shown}
                label={`${layer.name} neuron ${index + 1} output map`}
                testId="detail-output-map"
                describe={(p) => {
                  const values = reluPixelValues(map, index, p);
                  return `row ${p.y + 1}, column ${p.x + 1}: max(0, ${formatExact(values.input)}) = ${formatExact(values.output)}`;
                }}
                onHover={position.hover}
                onPick={onPick}
              />
              <figcaption>
                {layer.name} neuron {index + 1} (output)
              </figcaption>
            </figure>
          </div>
          <DivergingLegend magnitude={magnitude} label="Colours of both maps" width={240} />
        </div>
        <div className="relu-explain">
          <ReluGraph
            input={input}
            output={output}
            magnitude={magnitude}
            inputText={inputShown.text}
            outputText={outputShown.text}
          />
          <p
            className="detail-formula"
            data-testid="relu-formula"
            data-input={input}
            data-output={output}
            aria-live="polite"
          >
            max(0, {inputShown.text}) = <strong>{outputShown.text}</strong>
            {input < 0
              ? " — negative, so it becomes 0."
              : input > 0
                ? " — positive, so it passes unchanged."
                : ""}
          </p>
          {notes.length > 0 && (
            <p className="rounding-note">Rounded for reading: {notes.join("; ")}.</p>
          )}
        </div>
      </div>
    </DetailFrame>
  );
}
