/**
 * The lens on the flatten fan: the traced element and its neighbours in its group, large
 * enough to read one by one (index, pixel, value × weight = product), with the sentence a
 * screen reader announces and the logit they all add up to, right beside the fan.
 */
import { useMemo } from "react";
import { flattenSource, rounded } from "../../math/classifier";
import { divergingScale } from "../../math/colour";
import type { ClassifierData } from "./classifierData";

interface FlattenLensProps {
  data: ClassifierData;
  traced: number | null;
  /** Positions in the traced element's group the lens shows. */
  lens: { start: number; end: number } | null;
  /** Traces an element the student points at in the lens (the lens itself stays put). */
  onTrace: (index: number) => void;
}

const DIGITS = 4;

export function FlattenLens({ data, traced, lens, onTrace }: FlattenLensProps) {
  const pixelColour = useMemo(() => divergingScale(data.sourceMagnitude), [data.sourceMagnitude]);
  const weightColour = useMemo(() => divergingScale(data.weightMagnitude), [data.weightMagnitude]);
  const [height, width, channels] = data.sourceShape;
  const source = traced === null ? null : flattenSource(traced, data.sourceShape);
  const value = traced === null ? 0 : (data.flat[traced] ?? 0);
  const weight = traced === null ? 0 : (data.weights[traced] ?? 0);
  const positions =
    lens === null ? [] : Array.from({ length: lens.end - lens.start }, (_, i) => lens.start + i);

  return (
    <div className="flatten-lens" data-testid="flatten-lens">
      {source === null ? (
        <p className="flatten-lens-empty">
          Point at a map or at the group of lines beside it (or tab to the lines and use the arrow
          keys) to magnify its numbers here.
        </p>
      ) : (
        <>
          <h3>
            Map {source.channel + 1} of {channels}: elements around row {source.y + 1}, column{" "}
            {source.x + 1}
          </h3>
          <table className="lens-table" data-testid="lens-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">(row, col)</th>
                <th scope="col">value</th>
                <th scope="col" />
                <th scope="col">weight</th>
                <th scope="col" />
                <th scope="col">product</th>
              </tr>
            </thead>
            <tbody>
              {positions.map((position) => {
                const index = position * channels + source.channel;
                const rowValue = data.flat[index] ?? 0;
                const rowWeight = data.weights[index] ?? 0;
                return (
                  <tr
                    key={index}
                    className={index === traced ? "lens-row lens-row-traced" : "lens-row"}
                    data-testid="lens-row"
                    data-index={index}
                    data-value={rowValue}
                    data-weight={rowWeight}
                    data-product={rowValue * rowWeight}
                    onPointerEnter={() => onTrace(index)}
                  >
                    <td>{index + 1}</td>
                    <td>
                      ({Math.floor(position / width) + 1}, {(position % width) + 1})
                    </td>
                    <td>
                      <span className="lens-swatch" style={{ background: pixelColour(rowValue) }} />
                      {rounded(rowValue, DIGITS).text}
                    </td>
                    <td>×</td>
                    <td>
                      <span
                        className="lens-swatch"
                        style={{ background: weightColour(rowWeight) }}
                      />
                      {rounded(rowWeight, DIGITS).text}
                    </td>
                    <td>=</td>
                    <td>{rounded(rowValue * rowWeight, DIGITS).text}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      <p className="flatten-readout" data-testid="flatten-readout" aria-live="polite">
        {source === null ? (
          `Every one of the ${data.flat.length} numbers (${channels} maps of ${height}×${width}) is multiplied by its weight.`
        ) : (
          <>
            {data.sourceLayer.name} map {source.channel + 1}, row {source.y + 1}, column{" "}
            {source.x + 1}: value {rounded(value, DIGITS).text} × weight{" "}
            {rounded(weight, DIGITS).text} = <strong>{rounded(value * weight, DIGITS).text}</strong>
          </>
        )}
      </p>
      <p
        className="logit-formula"
        data-testid="logit-formula"
        data-logit={data.logit.logit}
        data-model={data.logits[data.classIndex]}
      >
        logit of {data.className} = Σ of all {data.flat.length} products + bias ={" "}
        {rounded(data.logit.sum, DIGITS).text} + {rounded(data.logit.bias, DIGITS).text} ={" "}
        <strong>{rounded(data.logit.logit, DIGITS).text}</strong>
      </p>
    </div>
  );
}
