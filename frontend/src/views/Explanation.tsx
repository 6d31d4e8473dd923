/**
 * Plain-language help beside the views, for a student who has never seen a CNN: what the
 * open view shows, what each kind of layer does (the open one first) and a legend.
 */
import { useInputStyle } from "../components/inputStyle";
import { NEGATIVE, POSITIVE, ZERO } from "../math/colour";
import type { LayerType, ModelGraph } from "../model/graph";
import type { DetailRef, NeuronSelection } from "../url/state";

interface ExplanationProps {
  graph: ModelGraph | null;
  selection: NeuronSelection | null;
  detail: DetailRef | null;
}

type Topic = "input" | "conv" | "relu" | "max_pool" | "flatten" | "output";

const TOPIC_ORDER: readonly Topic[] = ["input", "conv", "relu", "max_pool", "flatten", "output"];

const TOPIC_NAMES: Record<Topic, string> = {
  input: "Input",
  conv: "Convolution (conv)",
  relu: "ReLU",
  max_pool: "Max pooling",
  flatten: "Flatten",
  output: "Output and softmax",
};

const TOPICS: Record<Topic, string> = {
  input:
    "The picture, as the network receives it: a square of pixels split into its red, green and blue parts. Each pixel is a number from 0 (dark) to 1 (bright).",
  conv: "A small grid of learned numbers (a filter, or kernel) slides over the maps of the layer before. At every position it multiplies the numbers under it and adds them up. Where the picture matches the filter’s pattern (an edge, a colour, later a texture) the result is large: bright under the positive weights and dark under the negative ones; the opposite pattern gives a negative number, and an even patch gives about 0 when the weights add up to 0. Each value sees a square patch of the picture, its receptive field: a 3×3 window over values that each see 3×3 pixels, one pixel apart, sees 5×5; a 2×2 pooling adds one step and doubles the step (hover a neuron to read its layer’s). A layer’s parameters are its filters × (k×k × input channels) weights plus one bias per filter, listed under the network.",
  relu: "Keeps every positive number and turns every negative one into 0. This simple rule is what lets the network learn more than straight-line relationships. Reading a map after ReLU: strong colour marks where the filter’s pattern is under that spot; white (0) where it is absent or reversed. The map shows where a pattern is, not how bright the picture is; the same filter is used everywhere, and the class is decided only at the end.",
  max_pool:
    "Shrinks each map by keeping only the biggest number of every small square. The network keeps the strongest signals and cares less about their exact position.",
  flatten:
    "Lays all the numbers of the last maps out in one long row, so that every number can be combined with every class.",
  output:
    "Each class gets a score: every number of the flattened row times a learned weight, all added up, plus a bias. Softmax turns the scores into probabilities that add up to 100%.",
};

function topicOf(type: LayerType): Topic {
  return type === "dense" || type === "softmax" ? "output" : type;
}

/** One or two sentences on the view now open. */
function viewText(
  type: LayerType | null,
  detail: DetailRef | null,
): { title: string; text: string } {
  if (type === "conv" && detail?.kind === "pixel") {
    return {
      title: "Convolution detail",
      text: "One pixel of a conv neuron, worked out by hand: the numbers of the window times the numbers of the kernel, the products added up for each input map, then all of that plus the bias.",
    };
  }
  if (type === "conv") {
    return {
      title: "Convolutional intermediate view",
      text: "Each map of the previous layer is convolved with its own slice of this neuron’s filter into an intermediate map; the intermediate maps added up, plus a bias, give the neuron. The highlighted squares (amber; dark with a white edge in the colour-blind palette) show the window moving in step over all of them.",
    };
  }
  if (type === "relu")
    return {
      title: "ReLU detail",
      text: "One pixel going through max(0, x): on the graph, negative inputs land on the flat part (0) and positive inputs on the slope (unchanged).",
    };
  if (type === "max_pool")
    return {
      title: "Max-pooling detail",
      text: "One window of the input map and its biggest number, which becomes one pixel of the smaller output map.",
    };
  if (detail?.kind === "softmax")
    return {
      title: "Softmax detail",
      text: "How the scores of all classes become probabilities: exp of each score, divided by the sum of them all.",
    };
  if (type === "dense" || type === "softmax") {
    return {
      title: "Flatten and softmax views",
      text: "The last maps unrolled into one row; each number times its weight, added up into the class’s score; softmax turning the scores into probabilities.",
    };
  }
  return {
    title: "Overview",
    text: "The whole network at once: the picture on the left, every layer a column, the answer on the right. Click a neuron to look inside it.",
  };
}

export function Explanation({ graph, selection, detail }: ExplanationProps) {
  const type =
    selection === null
      ? null
      : (graph?.layers.find((layer) => layer.name === selection.layer)?.type ?? null);
  const current = type === null ? null : topicOf(type);
  const view = viewText(type, detail);
  const greyInput = useInputStyle() === "grey";
  const ordered =
    current === null ? TOPIC_ORDER : [current, ...TOPIC_ORDER.filter((topic) => topic !== current)];
  return (
    <aside className="explanation" aria-label="Explanation" data-testid="explanation">
      <h2>You are looking at: {view.title}</h2>
      <p data-testid="explanation-view">{view.text}</p>
      <h2>The layers</h2>
      <p>
        A <strong>convolutional neural network</strong> (CNN) looks at a picture and guesses what is
        in it. It works in steps called <em>layers</em>, drawn as columns from left to right; each
        layer turns the maps of the one before into new maps.
      </p>
      <dl className="layer-topics">
        {ordered.map((topic) => (
          <div
            key={topic}
            className={topic === current ? "layer-topic layer-topic-current" : "layer-topic"}
            aria-current={topic === current ? "true" : undefined}
            data-topic={topic}
          >
            <dt>{TOPIC_NAMES[topic]}</dt>
            <dd>{TOPICS[topic]}</dd>
          </div>
        ))}
      </dl>
      <h2>What am I looking at?</h2>
      <ul className="legend-help">
        <li>
          A <em>neuron</em> is drawn as a small square picture, its <em>heatmap</em>: one coloured
          pixel per number it computed.
        </li>
        <li>
          <span className="swatch" style={{ background: POSITIVE }} /> positive,
          <span className="swatch swatch-zero" style={{ background: ZERO }} /> zero,
          <span className="swatch" style={{ background: NEGATIVE }} /> negative. Darker means
          further from zero.
        </li>
        <li data-testid="input-legend-text">
          {greyInput
            ? "The input’s squares go from black to white, one square for each of red, green and blue: the brighter, the more of that colour each pixel has."
            : "The input’s squares go from black to red, green or blue: how much of that colour each pixel has."}
        </li>
        <li>
          Lines (edges) show which neurons each neuron reads. Hover over or tab to a neuron to see
          them.
        </li>
        <li>
          The highlighted square (amber, or dark with a white edge) is the window being computed;
          move it by pointing, clicking or with the arrow keys.
        </li>
        <li>
          When a neuron is opened, the columns it does not read fade so that it stands out; Back or
          Escape returns.
        </li>
        <li>
          The colour scale setting decides which layers share one range of colours (the bars under
          the columns).
        </li>
      </ul>
    </aside>
  );
}
