/** Softmax with live numbers: every logit, exp of each, the class's share of their sum. */
import { rounded } from "../../math/classifier";
import type { ClassifierData } from "./classifierData";

const DIGITS = 4;

/** What the panel reads: the logits and softmax terms, no weights (the softmax detail view has none). */
export type SoftmaxData = Pick<
  ClassifierData,
  "softmax" | "classIndex" | "className" | "classNames" | "logits" | "modelProbability"
>;

export function SoftmaxPanel({ data }: { data: SoftmaxData }) {
  const { softmax, classIndex } = data;
  const logit = rounded(data.logits[classIndex] ?? 0, DIGITS);
  const top = rounded(softmax.exps[classIndex] ?? 0, DIGITS);
  const total = rounded(softmax.total, DIGITS);
  const probability = softmax.probability.toFixed(DIGITS);
  const terms = softmax.exps.map((value) => rounded(value, DIGITS));
  const hidden =
    [logit, top, total, ...terms].some((term) => term.hidden) ||
    Number(probability) !== softmax.probability;

  return (
    <section className="softmax-panel" aria-label="Softmax" data-testid="softmax-view">
      <h3>Softmax: from scores to probabilities</h3>
      <table className="softmax-table">
        <thead>
          <tr>
            <th scope="col">class</th>
            <th scope="col">logit z</th>
            <th scope="col">exp(z)</th>
          </tr>
        </thead>
        <tbody>
          {data.classNames.map((name, i) => (
            <tr
              key={name}
              className={i === classIndex ? "softmax-selected" : undefined}
              aria-current={i === classIndex ? "true" : undefined}
            >
              <th scope="row">{name}</th>
              <td data-testid="logit">{rounded(data.logits[i] ?? 0, DIGITS).text}</td>
              <td>{terms[i]?.text}</td>
            </tr>
          ))}
          <tr className="softmax-sum">
            <th scope="row">sum</th>
            <td />
            <td>{total.text}</td>
          </tr>
        </tbody>
      </table>
      <p className="softmax-formula" data-testid="softmax-formula">
        p({data.className}) = exp({logit.text}) / Σ exp(z) = {top.text} / {total.text} ={" "}
        <strong
          data-testid="softmax-probability"
          data-value={softmax.probability}
          data-model={data.modelProbability}
        >
          {probability}
        </strong>{" "}
        ({(softmax.probability * 100).toFixed(2)}%)
      </p>
      {hidden && (
        <p className="softmax-note">
          Numbers are rounded to {DIGITS} significant digits for reading; the sums and the division
          use the unrounded values, so the rounded numbers can differ from each other in the last
          digit.
        </p>
      )}
    </section>
  );
}
