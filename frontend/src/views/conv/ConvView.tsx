/**
 * The convolutional intermediate view: each channel of the previous layer convolved with
 * its own kernel slice into an intermediate map; the intermediates plus the bias give the
 * neuron. One window slides over all of them in sync; its arithmetic is written out.
 */
import { useEffect, useMemo, useRef } from "react";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { Heatmap } from "../overview/Heatmap";
import { formatValue } from "../overview/planes";
import { convNeuronData } from "./convData";
import { useSlidingWindow } from "./useSlidingWindow";
import { WindowedMap } from "./WindowedMap";
import { WindowSum } from "./WindowSum";

interface ConvViewProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  onClose: () => void;
}

const MAP_SIZE = 64;
const KERNEL_SIZE = 36;

export function ConvView({ graph, layer, index, activations, weights, onClose }: ConvViewProps) {
  const data = useMemo(
    () => convNeuronData(graph, layer, index, activations.outputs, weights),
    [graph, layer, index, activations, weights],
  );
  const [outHeight, outWidth] = data.outputSize;
  const slider = useSlidingWindow(outHeight, outWidth);
  const [kh, kw] = data.kernelSize;
  const sourceBox = { y: slider.y * data.stride[0], x: slider.x * data.stride[1], height: kh, width: kw };
  const pixelBox = { y: slider.y, x: slider.x, height: 1, width: 1 };
  const isInput = data.sourceLayer.type === "input";
  const section = useRef<HTMLElement>(null);
  const reducedMotion = slider.reducedMotion;
  useEffect(() => {
    section.current?.scrollIntoView({ behavior: reducedMotion ? "auto" : "smooth", block: "start" });
  }, [reducedMotion]);

  return (
    <section ref={section} className="conv-view" aria-label={`How ${layer.name} neuron ${index + 1} is computed`} data-testid="conv-view">
      <header className="conv-view-header">
        <h2>{layer.name}, neuron {index + 1}: a convolution step by step</h2>
        <div className="conv-controls">
          <button type="button" onClick={() => slider.step(-1)} aria-label="Step back">◀</button>
          <button type="button" onClick={slider.toggle} data-testid="play-pause">{slider.playing ? "Pause" : "Play"}</button>
          <button type="button" onClick={() => slider.step(1)} aria-label="Step forward" data-testid="step">▶</button>
          <span className="conv-position" data-testid="window-position">row {slider.y + 1}, column {slider.x + 1}</span>
          <button type="button" onClick={onClose} data-testid="close-conv">Back to the overview</button>
        </div>
      </header>
      <p className="conv-help">
        Each of the {data.channels.length} maps of <strong>{data.sourceLayer.name}</strong> is multiplied, window by window, with its own
        {" "}{kh}×{kw} slice of the filter (the small squares) into an intermediate map. Adding the intermediate maps and the bias
        gives this neuron’s map. {slider.reducedMotion ? "Animation is off because your system asks for reduced motion; step through or point at the output." : "Point at the output map to move the window yourself."}
      </p>
      <div className="conv-body">
        <div className="conv-rows">
          {data.channels.map((step) => (
            <div className="conv-row" key={step.channel}>
              <WindowedMap
                plane={step.source} height={data.sourceSize[0]} width={data.sourceSize[1]} magnitude={data.magnitudes.source}
                displaySize={MAP_SIZE} box={sourceBox} inputChannel={isInput ? step.channel : undefined}
                label={`${data.sourceLayer.name} channel ${step.channel + 1}`}
              />
              <span className="conv-op">∗</span>
              <div className="conv-kernel" role="img" aria-label={`kernel slice for channel ${step.channel + 1}`}>
                <Heatmap plane={step.kernel} height={kh} width={kw} magnitude={data.magnitudes.kernel} displaySize={KERNEL_SIZE} />
              </div>
              <span className="conv-op">=</span>
              <WindowedMap
                plane={step.intermediate} height={outHeight} width={outWidth} magnitude={data.magnitudes.intermediate}
                displaySize={MAP_SIZE} box={pixelBox} label={`intermediate map ${step.channel + 1}`}
              />
            </div>
          ))}
        </div>
        <WindowSum data={data} y={slider.y} x={slider.x} onPoint={slider.moveTo} />
      </div>
      <p className="conv-scales">
        Colour ranges: inputs ±{formatValue(data.magnitudes.source)}, kernels ±{formatValue(data.magnitudes.kernel)},
        intermediates ±{formatValue(data.magnitudes.intermediate)}, output ±{formatValue(data.magnitudes.output)}.
      </p>
    </section>
  );
}
