/**
 * The max-pooling detail view: the window of the input map an output pixel covers, its
 * numbers, and the biggest of them, which becomes the output pixel.
 */
import { useMemo } from "react";
import { decimalsFor, formatExact, formatFixed, roundedValue } from "../../math/arithmetic";
import { channelPlane, extentOf } from "../../math/tensor";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { DivergingLegend } from "../../components/Legend";
import { WindowedMap } from "../conv/WindowedMap";
import { neuronMapData, poolPixelDetail, type Pixel } from "./detailData";
import { DetailFrame } from "./DetailFrame";
import { NumberGrid } from "./NumberGrid";
import { PixelPicker } from "./PixelPicker";
import { usePixel } from "./usePixel";

interface PoolDetailProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  pixel: Pixel | null;
  onPick: (pixel: Pixel) => void;
  origin: string | null;
  onBack: () => void;
}

/** Side of a window cell in px: a square, large enough for a value in 14 px type. */
const POOL_CELL = 76;

export function PoolDetail({
  graph,
  layer,
  index,
  activations,
  pixel,
  onPick,
  origin,
  onBack,
}: PoolDetailProps) {
  const map = useMemo(
    () => neuronMapData(graph, layer, index, activations.outputs),
    [graph, layer, index, activations],
  );
  const sourcePlane = useMemo(() => channelPlane(map.source, index), [map, index]);
  const { min, max } = extentOf(sourcePlane);
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  const position = usePixel(pixel, map.output, map.outputSize);
  const { y, x } = position.shown;
  const detail = poolPixelDetail(layer, map, index, position.shown);
  const [rows, columns] = detail.size;
  const decimals = decimalsFor(detail.values);
  const texts = [...detail.values].map((value) => formatFixed(value, decimals));
  const maxShown = roundedValue(detail.max, decimals);
  // Two values that print alike but differ: the reader cannot see which is bigger.
  const ties = texts.filter(
    (text, i) => text === texts[detail.argmax] && detail.values[i] !== detail.max,
  ).length;

  return (
    <DetailFrame
      title={`${layer.name}, neuron ${index + 1}, row ${y + 1}, column ${x + 1}: max pooling`}
      width={860}
      testId="pool-detail"
      origin={origin}
      backLabel="Back to the overview"
      onBack={onBack}
      help={
        <>
          Max pooling makes a map smaller: it cuts the input map into {rows}×{columns} windows
          (moving {detail.stride[0]} pixels at a time) and keeps only the biggest number of each
          window. The strongest response in each small area survives, so the next layers see a
          smaller map that still says <em>where roughly</em> a pattern was found. Point at, click or
          use the arrow keys on the output map.
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
                displaySize={176}
                box={{
                  y: y * detail.stride[0],
                  x: x * detail.stride[1],
                  height: rows,
                  width: columns,
                }}
                label={`${map.sourceLayer.name} map ${index + 1} with the ${rows}×${columns} window`}
              />
              <figcaption>
                {map.sourceLayer.name} map {index + 1} ({map.sourceSize.join("×")})
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
                displaySize={(176 * map.outputSize[1]) / map.sourceSize[1]}
                pixel={position.shown}
                label={`${layer.name} neuron ${index + 1} output map`}
                testId="detail-output-map"
                describe={(p) =>
                  `row ${p.y + 1}, column ${p.x + 1}, the biggest of its window: ${formatExact(map.output[p.y * map.outputSize[1] + p.x] ?? 0)}`
                }
                onHover={position.hover}
                onPick={onPick}
              />
              <figcaption>
                {layer.name} neuron {index + 1} ({map.outputSize.join("×")})
              </figcaption>
            </figure>
          </div>
          <DivergingLegend
            magnitude={magnitude}
            label="Colours of both maps and the window"
            width={240}
          />
        </div>
        <div className="pool-explain">
          <NumberGrid
            values={detail.values}
            rows={rows}
            columns={columns}
            decimals={decimals}
            magnitude={magnitude}
            label={`the ${rows}×${columns} window`}
            marked={new Set([detail.argmax])}
            cellSize={POOL_CELL}
            testId="pool-grid"
          />
          <p
            className="detail-formula"
            data-testid="pool-formula"
            data-max={detail.max}
            data-model={detail.model}
            aria-live="polite"
          >
            max({texts.join(", ")}) = <strong>{maxShown.text}</strong>
          </p>
          {(maxShown.note || ties > 0) && (
            <p className="rounding-note">
              Rounded to {decimals} decimals for reading; the maximum is exactly{" "}
              {formatExact(detail.max)}.
              {ties > 0 && " Another value prints the same but is smaller in the hidden digits."}
            </p>
          )}
        </div>
      </div>
    </DetailFrame>
  );
}
