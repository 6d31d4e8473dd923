/** The sum at the window's position: every intermediate value, the bias, and the neuron's value. */
import { formatValue } from "../overview/planes";
import type { ConvNeuronData } from "./convData";

interface WindowSumProps {
  data: ConvNeuronData;
  y: number;
  x: number;
}

export function WindowSum({ data, y, x }: WindowSumProps) {
  const [, width] = data.outputSize;
  const position = y * width + x;
  const parts = data.channels.map((step) => step.intermediate[position] ?? 0);
  const total = parts.reduce((sum, value) => sum + value, data.bias);
  const model = data.output[position] ?? 0;
  // The model adds in float32 and in its own order; our float64 sum may differ in the last digits.
  const rounded = formatValue(total) !== formatValue(model);
  return (
    <div className="conv-sum">
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
