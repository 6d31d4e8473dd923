/** Plain-language help beside the overview, for a student who has never seen a CNN. */
import { NEGATIVE, POSITIVE, ZERO } from "../math/colour";

export function Explanation() {
  return (
    <aside className="explanation">
      <h2>What is this?</h2>
      <p>
        A <strong>convolutional neural network</strong> (CNN) looks at a picture and guesses what is in it. It works
        in steps called <em>layers</em>, drawn here as columns from left to right.
      </p>
      <ul>
        <li><strong>Input</strong>: the picture split into its red, green and blue parts.</li>
        <li><strong>conv</strong> (convolution): small filters slide over the previous maps and respond where they find a pattern, such as an edge or a colour.</li>
        <li><strong>relu</strong>: keeps positive values and turns negative ones into zero.</li>
        <li><strong>max_pool</strong>: shrinks each map by keeping the biggest value of every small square.</li>
        <li><strong>output</strong>: all the last maps are combined into one score per class, turned into probabilities that add up to 100%.</li>
      </ul>
      <h2>What am I looking at?</h2>
      <ul className="legend-help">
        <li>Each small square is one <em>neuron</em>: its map of values over the picture.</li>
        <li>
          <span className="swatch" style={{ background: POSITIVE }} /> positive,
          <span className="swatch swatch-zero" style={{ background: ZERO }} /> zero,
          <span className="swatch" style={{ background: NEGATIVE }} /> negative. Darker means bigger.
        </li>
        <li>Lines show which neurons each neuron reads. Hover over a neuron to see them.</li>
        <li>The colour scale setting decides which layers share one range of colours (the bars under the columns).</li>
      </ul>
    </aside>
  );
}
