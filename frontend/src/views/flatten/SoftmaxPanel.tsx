/**
 * Softmax with live numbers, the one table of every class's score (logit), exp of it and
 * its share: pointing at (or focusing) a class traces its logit, its exp, its share bar and
 * its term in the formula; the selected class stays marked.
 */
import { useState, type KeyboardEvent } from "react";
import { rounded } from "../../math/classifier";
import { SOFTMAX_DIGITS, SoftmaxFormula, type SoftmaxData } from "./SoftmaxFormula";

const BAR_WIDTH = 44;

/** Up and down arrows move the focus (and so the trace) between the class rows. */
function moveBetweenRows(event: KeyboardEvent<HTMLTableSectionElement>) {
  const row = (event.target as Element).closest("tr");
  const next =
    event.key === "ArrowDown"
      ? row?.nextElementSibling
      : event.key === "ArrowUp"
        ? row?.previousElementSibling
        : null;
  if (!(next instanceof HTMLElement)) return;
  event.preventDefault();
  next.focus();
}

export function SoftmaxPanel({ data }: { data: SoftmaxData }) {
  const [traced, setTraced] = useState<number | null>(null);
  const { softmax, classIndex } = data;
  const shares = softmax.exps.map((value) => value / softmax.total);

  return (
    <section
      className="softmax-panel"
      aria-label="Softmax"
      data-testid="softmax-view"
      onPointerLeave={() => setTraced(null)}
    >
      <h3>Softmax: from scores to probabilities</h3>
      <table className="softmax-table">
        <thead>
          <tr>
            <th scope="col">class</th>
            <th scope="col">logit z</th>
            <th scope="col">exp(z)</th>
            <th scope="col">share</th>
          </tr>
        </thead>
        <tbody onBlur={() => setTraced(null)} onKeyDown={moveBetweenRows}>
          {data.classNames.map((name, i) => (
            <tr
              key={name}
              className={[
                i === classIndex ? "softmax-selected" : "",
                i === traced ? "softmax-traced" : "",
              ].join(" ")}
              aria-current={i === classIndex ? "true" : undefined}
              tabIndex={0}
              onPointerEnter={() => setTraced(i)}
              onFocus={() => setTraced(i)}
              data-testid="softmax-row"
              data-class={i}
            >
              <th scope="row">{name}</th>
              <td data-testid="logit">{rounded(data.logits[i] ?? 0, SOFTMAX_DIGITS).text}</td>
              <td data-testid="exp">{rounded(softmax.exps[i] ?? 0, SOFTMAX_DIGITS).text}</td>
              <td className="softmax-share-cell">
                <svg width={BAR_WIDTH} height={10} aria-hidden="true">
                  <rect className="softmax-bar-track" width={BAR_WIDTH} height={10} />
                  <rect
                    className="softmax-bar"
                    data-testid="softmax-bar"
                    width={(shares[i] ?? 0) * BAR_WIDTH}
                    height={10}
                  />
                </svg>
                {((shares[i] ?? 0) * 100).toFixed(1)}%
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <SoftmaxFormula data={data} traced={traced} prompt="Point at a class to follow its term." />
      <p className="softmax-note">
        Numbers are rounded to {SOFTMAX_DIGITS} significant digits for reading; the sums and the
        division use the unrounded values.
      </p>
    </section>
  );
}
