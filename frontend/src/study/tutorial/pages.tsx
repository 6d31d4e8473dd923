/**
 * The conventional condition's material: the concepts CNN 101 shows, as text with static
 * figures (no interaction), one page per concept.
 */
import type { ReactNode } from "react";
import { softmax } from "../../math/ops";
import { Arrow, Bars, Figure, NetworkDiagram, NumberGrid } from "./figures";
import { FeaturesPage } from "./FeaturesPage";
import {
  EDGE,
  convolve,
  maxPool,
  pad,
  paramFormula,
  relu,
  tinyVggShapes,
  windowSum,
} from "./figureMath";

export interface TutorialPage {
  id: string;
  title: string;
  body: () => ReactNode;
}

const INPUT = [
  [3, 0, 1, 2, 7],
  [1, 5, 8, 9, 3],
  [2, 7, 2, 5, 1],
  [0, 1, 3, 1, 7],
  [4, 2, 1, 6, 2],
];
const RED = "#d1495b";
const BLUE = "#0b5cad";

function ConvolutionPage() {
  const out = convolve(INPUT, EDGE);
  const signed = (value: number) => (value < 0 ? `(−${-value})` : String(value));
  const products = EDGE.flatMap((row, i) =>
    row.map((w, j) => `${INPUT[i]?.[j] ?? 0}·${signed(w)}`),
  );
  return (
    <>
      <p>
        A convolutional layer slides a small grid of weights, the <strong>kernel</strong> (or
        filter), over its input. At each position it multiplies every input value under the kernel
        by the weight on top of it and adds the products up. That sum is one value of the output,
        the <strong>feature map</strong>. Then the kernel moves one step and does it again.
      </p>
      <Figure
        width={560}
        height={210}
        description={`A 5 by 5 input, a 3 by 3 kernel and the 3 by 3 output; the top-left output ${out[0]?.[0] ?? 0} is the sum of the nine products in the top-left window.`}
        caption={
          <>
            Top-left output: {products.join(" + ")} = <strong>{signed(out[0]?.[0] ?? 0)}</strong>.
            Moving the window one step right gives {signed(out[0]?.[1] ?? 0)}.
          </>
        }
      >
        <NumberGrid
          values={INPUT}
          x={10}
          y={30}
          label="input 5×5"
          highlights={[{ y: 0, x: 0, size: 3, colour: RED }]}
        />
        <NumberGrid values={EDGE} x={210} y={60} label="kernel 3×3" />
        <Arrow from={[320, 105]} to={[380, 105]} label="Σ" />
        <NumberGrid
          values={out}
          x={400}
          y={60}
          label="output 3×3"
          highlights={[{ y: 0, x: 0, size: 1, colour: RED }]}
        />
      </Figure>
      <p>
        The same kernel is used at every position, so a layer with a 3×3 kernel has only nine
        weights per input channel, however large the image. This kernel responds to vertical edges:
        bright on the left and dark on the right gives a large value.
      </p>
      <p>
        A 5×5 input and a 3×3 kernel give a 3×3 output: the kernel fits in 5 − 3 + 1 = 3 positions
        along each side.
      </p>
    </>
  );
}

function PaddingStridePage() {
  const small = [
    [1, 2, 0],
    [0, 1, 3],
    [2, 0, 1],
  ];
  const padded = pad(small, 1);
  const ones = [
    [1, 1, 1],
    [1, 1, 1],
    [1, 1, 1],
  ];
  const out = convolve(padded, ones, 2);
  return (
    <>
      <p>
        <strong>Padding</strong> adds a border of zeros around the input so the kernel can also be
        centred on the edge pixels.
        <strong> Stride</strong> is how far the kernel moves each step; a stride of 2 skips every
        other position. Without padding (“valid”), the output is smaller than the input.
      </p>
      <p className="formula">output size = ⌊(n + 2p − k) / s⌋ + 1</p>
      <p>
        with input size <em>n</em>, padding <em>p</em>, kernel size <em>k</em> and stride <em>s</em>
        . For example n = 5, k = 3: p = 0, s = 1 gives 3; p = 1, s = 1 gives 5 (same size); p = 1, s
        = 2 gives ⌊(5 + 2 − 3) / 2⌋ + 1 = 3.
      </p>
      <Figure
        width={420}
        height={200}
        description="A 3 by 3 input padded with one ring of zeros to 5 by 5; a 3 by 3 kernel of ones with stride 2 fits at 2 positions per side, giving a 2 by 2 output."
        caption={
          <>
            Padding 1 (grey zeros), kernel 3×3 of ones, stride 2: ⌊(3 + 2 − 3) / 2⌋ + 1 = 2
            positions per side. The red window gives {out[0]?.[0]}, the blue one (two steps right){" "}
            {out[0]?.[1]}.
          </>
        }
      >
        <NumberGrid
          values={padded}
          x={10}
          y={30}
          label="padded input 5×5"
          muted={(y, x) => y === 0 || x === 0 || y === 4 || x === 4}
          highlights={[
            { y: 0, x: 0, size: 3, colour: RED },
            { y: 0, x: 2, size: 3, colour: BLUE },
          ]}
        />
        <Arrow from={[180, 105]} to={[260, 105]} label="stride 2" />
        <NumberGrid values={out} x={280} y={75} label="output 2×2" />
      </Figure>
    </>
  );
}

function MultiChannelPage() {
  const channels = [
    {
      name: "red",
      input: [
        [1, 0],
        [2, 1],
      ],
      kernel: [
        [1, -1],
        [0, 1],
      ],
    },
    {
      name: "green",
      input: [
        [0, 3],
        [1, 1],
      ],
      kernel: [
        [0, 1],
        [1, 0],
      ],
    },
    {
      name: "blue",
      input: [
        [2, 2],
        [0, 1],
      ],
      kernel: [
        [-1, 0],
        [1, 1],
      ],
    },
  ];
  const bias = 1;
  const partial = channels.map((channel) => windowSum(channel.input, channel.kernel, 0, 0));
  const total = partial.reduce((a, b) => a + b, 0) + bias;
  return (
    <>
      <p>
        A colour image has three channels (red, green, blue), and a layer's output has one channel
        per filter. A filter therefore has one kernel slice <em>per input channel</em>. At each
        position the layer computes the window sum in every channel, adds those sums together and
        adds one number, the filter's <strong>bias</strong>. The result is one value: a filter
        always produces a single output channel.
      </p>
      <Figure
        width={650}
        height={120}
        description={`Three input channels with their kernel slices give window sums ${partial.join(", ")}; plus bias ${bias} gives ${total}.`}
        caption={
          <>
            Window sums per channel{" "}
            {partial.map((value) => (value < 0 ? `(−${-value})` : value)).join(" + ")} plus bias{" "}
            {bias} = <strong>{total}</strong>, one value of the output map.
          </>
        }
      >
        {channels.map((channel, index) => (
          <g key={channel.name} transform={`translate(${index * 212},0)`}>
            <NumberGrid values={channel.input} x={10} y={40} label={`${channel.name} input`} />
            <text x={78} y={75} className="cell-value">
              ×
            </text>
            <NumberGrid values={channel.kernel} x={95} y={40} label="slice" />
            <text x={162} y={75} className="cell-value">
              = {partial[index]}
            </text>
          </g>
        ))}
      </Figure>
      <p>
        So the number of output channels is the number of filters, not the number of input channels.
        With 10 filters on an RGB image, each filter has 3 slices of 3×3 weights (27 weights) and
        one bias.
      </p>
    </>
  );
}

function ReluPage() {
  const before = [
    [-3, 5, 0],
    [2, -1, -4],
    [7, -2, 1],
  ];
  return (
    <>
      <p>
        After each convolution comes an <strong>activation function</strong>. Tiny VGG uses ReLU,
        the rectified linear unit: ReLU(x) = max(0, x). Negative values become 0, positive values
        pass unchanged. It is applied to every value on its own, so the shape does not change and it
        has no weights.
      </p>
      <Figure
        width={560}
        height={180}
        description="ReLU turns the negative values of a 3 by 3 map into zeros."
        caption="ReLU on a 3×3 map: −3, −1, −4 and −2 become 0."
      >
        <NumberGrid values={before} x={10} y={40} label="before" />
        <Arrow from={[110, 85]} to={[190, 85]} label="max(0, x)" />
        <NumberGrid values={relu(before)} x={210} y={40} label="after" />
        <g transform="translate(380,30)">
          <text className="figure-label" x={0} y={-8}>
            ReLU(x)
          </text>
          <line x1={0} x2={160} y1={110} y2={110} stroke="#c9d1d9" />
          <line x1={80} x2={80} y1={0} y2={140} stroke="#c9d1d9" />
          <polyline points="0,110 80,110 150,40" fill="none" stroke={BLUE} strokeWidth={3} />
        </g>
      </Figure>
      <p>
        Without a non-linear step like this, a stack of convolutions would be no more powerful than
        a single one.
      </p>
    </>
  );
}

function PoolingPage() {
  const map = [
    [1, 3, 2, 0],
    [4, 2, 1, 1],
    [0, 0, 5, 6],
    [1, 2, 7, 8],
  ];
  return (
    <>
      <p>
        <strong>Max pooling</strong> shrinks each map: a 2×2 window moves in steps of 2 and keeps
        only the largest value. A 30×30 map becomes 15×15; a 26×26 map becomes 13×13. Each channel
        is pooled on its own, so the number of channels stays the same. It has no weights. (Average
        pooling would take the mean instead; Tiny VGG uses the maximum.)
      </p>
      <Figure
        width={420}
        height={190}
        description="Max pooling with 2 by 2 windows turns a 4 by 4 map into 2 by 2: 4, 2, 2, 8."
        caption="Each coloured 2×2 window keeps its maximum."
      >
        <NumberGrid
          values={map}
          x={10}
          y={30}
          label="4×4 map"
          highlights={[
            { y: 0, x: 0, size: 2, colour: RED },
            { y: 0, x: 2, size: 2, colour: BLUE },
            { y: 2, x: 0, size: 2, colour: "#2a9d8f" },
            { y: 2, x: 2, size: 2, colour: "#e9a23b" },
          ]}
        />
        <Arrow from={[150, 90]} to={[250, 90]} label="max 2×2" />
        <NumberGrid values={maxPool(map)} x={270} y={60} label="2×2" />
      </Figure>
    </>
  );
}

function FlattenPage() {
  return (
    <>
      <p>
        The last layer is an ordinary dense (fully connected) layer, which takes a list of numbers.{" "}
        <strong>Flatten</strong> lays the last maps out as one long vector, without changing any
        value: 13×13×10 maps become 13 · 13 · 10 = 1690 numbers. It has no weights.
      </p>
      <Figure
        width={520}
        height={150}
        description="Two 2 by 2 channels are flattened into a vector of 8 values."
        caption="Two 2×2 channels flattened to 8 values (2 · 2 · 2)."
      >
        <NumberGrid
          values={[
            [1, 2],
            [3, 4],
          ]}
          x={10}
          y={40}
          label="channel 1"
        />
        <NumberGrid
          values={[
            [5, 6],
            [7, 8],
          ]}
          x={90}
          y={40}
          label="channel 2"
        />
        <Arrow from={[170, 70]} to={[230, 70]} />
        <NumberGrid
          values={[[1, 5, 2, 6, 3, 7, 4, 8]]}
          x={250}
          y={55}
          label="vector (channels innermost)"
        />
      </Figure>
    </>
  );
}

function SoftmaxPage() {
  const logits = [2, 1, 0.1];
  const probabilities = softmax(logits);
  return (
    <>
      <p>
        The dense layer gives one score per class, the <strong>logits</strong>: each is a weighted
        sum of all 1690 flattened values plus a bias. <strong>Softmax</strong> turns them into
        probabilities that are positive and add up to 1:
      </p>
      <p className="formula">
        p<sub>i</sub> = e
        <sup>
          z<sub>i</sub>
        </sup>{" "}
        / Σ<sub>j</sub> e
        <sup>
          z<sub>j</sub>
        </sup>
      </p>
      <Figure
        width={520}
        height={200}
        description={`Logits 2, 1 and 0.1 become probabilities ${probabilities.map((p) => p.toFixed(2)).join(", ")}.`}
        caption={
          <>
            e² / (e² + e¹ + e⁰·¹) = {probabilities[0]?.toFixed(3)}. Dividing the logits by their sum
            instead would give 2 / 3.1 = 0.645: not the same.
          </>
        }
      >
        <Bars
          values={logits}
          labels={["cat", "dog", "fox"]}
          x={20}
          y={50}
          width={200}
          height={100}
          title="logits"
          format={(v) => v.toFixed(1)}
        />
        <Arrow from={[240, 100]} to={[290, 100]} label="softmax" />
        <Bars
          values={probabilities}
          labels={["cat", "dog", "fox"]}
          x={300}
          y={50}
          width={200}
          height={100}
          title="probabilities"
          format={(v) => v.toFixed(2)}
        />
      </Figure>
      <p>
        The largest logit always gets the largest probability; the exponential makes the differences
        larger.
      </p>
    </>
  );
}

function TinyVggPage() {
  const layers = tinyVggShapes();
  return (
    <>
      <p>
        Tiny VGG classifies a 64×64 colour image into ten classes. It has two blocks of (convolution
        → ReLU → convolution → ReLU → max pooling), each convolution with ten 3×3 filters, stride 1
        and no padding, then flatten and a dense layer with softmax.
      </p>
      <NetworkDiagram layers={layers.filter((layer) => layer.kind !== "relu")} />
      <p>
        Each 3×3 convolution without padding takes 2 off the width and height (64 → 62 → 60); each
        pooling halves them (60 → 30, 26 → 13). A ReLU after each convolution keeps the shape.
      </p>
    </>
  );
}

function ParametersPage() {
  const layers = tinyVggShapes();
  const total = layers.reduce((sum, layer) => sum + layer.params, 0);
  return (
    <>
      <p>
        The weights a network learns are its <strong>parameters</strong>:
      </p>
      <ul>
        <li>convolution: k × k × (input channels) × (filters) weights + one bias per filter;</li>
        <li>dense: (inputs) × (outputs) weights + one bias per output;</li>
        <li>ReLU, max pooling and flatten have none.</li>
      </ul>
      <table className="tutorial-table">
        <caption>Tiny VGG's layers, shapes and parameters</caption>
        <thead>
          <tr>
            <th scope="col">layer</th>
            <th scope="col">output shape</th>
            <th scope="col">parameters</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((layer, index) => (
            <tr key={layer.name}>
              <th scope="row">{layer.name}</th>
              <td>{layer.shape.join(" × ")}</td>
              <td data-layer={layer.name}>
                {layer.params > 0
                  ? `${layer.params.toLocaleString("en")} = ${paramFormula(layers, index)}`
                  : "0"}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">total</th>
            <td />
            <td>{total.toLocaleString("en")}</td>
          </tr>
        </tfoot>
      </table>
      <p>
        Most parameters are in the dense layer, although the convolutions do most of the computing.
      </p>
    </>
  );
}

export const PAGES: TutorialPage[] = [
  { id: "convolution", title: "1. Convolution", body: ConvolutionPage },
  { id: "padding_stride", title: "2. Padding, stride and output size", body: PaddingStridePage },
  { id: "channels_bias", title: "3. Several channels and the bias", body: MultiChannelPage },
  { id: "relu", title: "4. ReLU", body: ReluPage },
  { id: "max_pooling", title: "5. Max pooling", body: PoolingPage },
  { id: "flatten", title: "6. Flatten", body: FlattenPage },
  { id: "softmax", title: "7. Dense layer and softmax", body: SoftmaxPage },
  { id: "tiny_vgg", title: "8. Tiny VGG's shapes", body: TinyVggPage },
  { id: "parameters", title: "9. Counting parameters", body: ParametersPage },
  { id: "features", title: "10. What filters detect and what maps show", body: FeaturesPage },
];
