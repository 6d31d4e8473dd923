/** The sum at the window's position: every intermediate value, the bias, and the neuron's value. */
import { divergingScale } from "../../math/colour";
import { formatValue } from "../overview/planes";
import type { ConvNeuronData } from "./convData";
import { WindowedMap } from "./WindowedMap";

interface WindowSumProps {
  data: ConvNeuronData;
  y: number;
  x: number;
  onPoint: (y: number, x: number) => void;
  /** A click on the output map opens that pixel's detail view (none when a lesson hides it). */
  onPick?: (y: number, x: number) => void;
}

const OUTPUT_SIZE = 160;

export function WindowSum({ data, y, x, onPoint, onPick }: WindowSumProps) {
  const [height, width] = data.outputSize;
  const position = y * width + x;
  const parts = data.channels.map((step) => step.intermediate[position] ?? 0);
  const total = parts.reduce((sum, value) => sum + value, data.bias);
  const model = data.output[position] ?? 0;
  // The model adds in float32 and in its own order; our float64 sum may differ in the last digits.
  const rounded = formatValue(total) !== formatValue(model);
  const map = (
    <WindowedMap
      plane={data.output}
      height={height}
      width={width}
      magnitude={data.magnitudes.output}
      displaySize={OUTPUT_SIZE}
      box={{ y, x, height: 1, width: 1 }}
      label={`${data.layer.name} neuron output map`}
      onPoint={onPoint}
    />
  );
  return (
    <div className="conv-sum">
      <BiasGlyph bias={data.bias} magnitude={data.magnitudes.output} />
      {onPick ? (
        <button
          type="button"
          className="map-button"
          data-testid="conv-output-map"
          onClick={() => onPick(y, x)}
          aria-label={`${data.layer.name} output map: show the arithmetic at row ${y + 1}, column ${x + 1}`}
        >
          {map}
        </button>
      ) : (
        <div className="map-button" data-testid="conv-output-map">
          {map}
        </div>
      )}
      <p className="conv-formula" data-testid="conv-formula" data-total={total} data-model={model}>
        {parts.map((value, channel) => (
          <span key={channel}>
            {channel > 0 && " + "}
            {formatValue(value)}
          </span>
        ))}
        {" + bias "}
        {formatValue(data.bias)}
        {" = "}
        <strong>{formatValue(total)}</strong>
      </p>
      <p className="conv-model-value">
        The model computed <strong>{formatValue(model)}</strong> here.
        {rounded && " (It adds in float32, so the last digit can differ.)"}
      </p>
    </div>
  );
}

/** Dark text on light colours, white on strong ones (as the number grids do). */
function textOn(value: number, magnitude: number): string {
  return magnitude > 0 && Math.abs(value) / magnitude > 0.55 ? "white" : "#1f2328";
}

/**
 * Where the sum happens: a small box for the bias, the one number added to the intermediate
 * maps' sum, coloured on the output map's scale (the bias alone would be a map of that colour).
 */
function BiasGlyph({ bias, magnitude }: { bias: number; magnitude: number }) {
  const colour = divergingScale(magnitude)(bias);
  return (
    <div className="bias-glyph" data-testid="bias-glyph" data-bias={bias}>
      <span className="conv-op" aria-hidden="true">
        +
      </span>
      <span
        className="bias-box"
        style={{ background: colour, color: textOn(bias, magnitude) }}
        role="img"
        aria-label={`bias ${formatValue(bias)}, added to every pixel`}
      >
        {formatValue(bias)}
      </span>
      <span className="bias-label">
        bias, added to the sum of the intermediate maps at every pixel
      </span>
    </div>
  );
}
