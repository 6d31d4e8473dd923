/**
 * Tutorial page 10: what a filter detects, how to read an activation map, and how much of
 * the picture a value sees (its receptive field), the facts the "why" items 14-16 ask and
 * the explorer teaches (its explanation panel, hover line and parameter caption).
 */
import { Arrow, Figure, NumberGrid } from "./figures";
import { EDGE, convolve, relu, tinyVggShapes, windowSum } from "./figureMath";

const PATCHES: { name: string; values: number[][] }[] = [
  {
    name: "bright left, dark right",
    values: [
      [9, 5, 1],
      [9, 5, 1],
      [9, 5, 1],
    ],
  },
  {
    name: "dark left, bright right",
    values: [
      [1, 5, 9],
      [1, 5, 9],
      [1, 5, 9],
    ],
  },
  {
    name: "even",
    values: [
      [5, 5, 5],
      [5, 5, 5],
      [5, 5, 5],
    ],
  },
  {
    name: "horizontal edge",
    values: [
      [9, 9, 9],
      [5, 5, 5],
      [1, 1, 1],
    ],
  },
];
const EDGE_IMAGE = [0, 1, 2, 3, 4].map(() => [9, 9, 9, 1, 1, 1]);

export function FeaturesPage() {
  const responses = PATCHES.map((patch) => windowSum(patch.values, EDGE, 0, 0));
  const map = relu(convolve(EDGE_IMAGE, EDGE));
  const fields = tinyVggShapes().filter((layer) => layer.field > 1 && layer.kind !== "relu");
  return (
    <>
      <p>
        <strong>What a filter detects.</strong> A filter's response is the sum of weight × pixel, so
        it is largest where the image is bright under the positive weights and dark under the
        negative ones: a filter responds most to patches that look like its weights. The kernel of
        page 1 (positive on the left, negative on the right) gives:
      </p>
      <Figure
        width={640}
        height={130}
        description={`The page 1 kernel on four patches: ${PATCHES.map((p, i) => `${p.name} ${responses[i] ?? 0}`).join(", ")}.`}
        caption="The opposite edge gives a large negative value, which ReLU turns into 0; an even patch and an edge turned by 90° give 0, because the kernel's weights (and those of each row) add up to 0."
      >
        {PATCHES.map((patch, index) => (
          <g key={patch.name} transform={`translate(${index * 160},0)`}>
            <NumberGrid values={patch.values} x={10} y={30} label={patch.name} />
            <text x={100} y={70} className="cell-value">
              → {signedNumber(responses[index] ?? 0)}
            </text>
          </g>
        ))}
      </Figure>
      <p>
        <strong>Reading an activation map.</strong> After ReLU, each value of a map is the filter's
        response to the patch of the image under it: strong where the filter's pattern is there, 0
        (drawn white in CNN 101's maps) where it is absent or reversed. A map shows where a pattern
        is, not how bright the image is: below, the bright left half gives 0 and only the edge
        lights up. The same weights are used at every position; the class is decided only at the
        end, from all the maps.
      </p>
      <Figure
        width={460}
        height={170}
        description="An image, bright on the left and dark on the right, convolved with the page 1 kernel and passed through ReLU: the map is 0 except in the two columns over the edge."
        caption="Image (bright left half) → kernel of page 1 → ReLU: strong values only over the edge."
      >
        <NumberGrid values={EDGE_IMAGE} x={10} y={30} label="image 5×6" />
        <Arrow from={[160, 80]} to={[240, 80]} label="conv, ReLU" />
        <NumberGrid values={map} x={260} y={45} label="map 3×4" />
      </Figure>
      <p>
        <strong>Receptive field.</strong> One value of conv_1_1 depends on a 3×3 patch of the input.
        A value of conv_1_2 reads a 3×3 window of conv_1_1 values whose patches overlap, each one
        pixel further on: 3 + 2 = 5 pixels wide. A k×k window widens the patch by (k − 1) times the
        step between neighbouring values; a 2×2 pooling widens it by one step and doubles the step.
        Two 3×3 convolutions and a 2×2 pooling therefore see 1 + 2 + 2 + 1 = 6 pixels, not 3 + 3 + 2
        = 8: the windows overlap. Later layers see larger patches, so they can respond to larger
        patterns.
      </p>
      <table className="tutorial-table">
        <caption>How much of the picture one value of each Tiny VGG layer sees</caption>
        <thead>
          <tr>
            <th scope="col">layer</th>
            <th scope="col">receptive field</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((layer) => (
            <tr key={layer.name}>
              <th scope="row">{layer.name}</th>
              <td data-layer={layer.name}>
                {layer.field}×{layer.field} pixels
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const signedNumber = (value: number) => (value < 0 ? `−${-value}` : String(value));
