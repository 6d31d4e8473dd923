/**
 * Softmax written out with live numbers: the sum of every class's exp(z) term by term, the
 * selected class's share of it, and the share of the class being pointed at. The traced
 * class's term is marked wherever it appears.
 */
import { rounded } from "../../math/classifier";
import type { ClassifierData } from "./classifierData";

/** What softmax reads: the logits and their terms, no weights (the softmax detail has none). */
export type SoftmaxData = Pick<
  ClassifierData,
  "softmax" | "classIndex" | "className" | "classNames" | "logits" | "modelProbability"
>;

export const SOFTMAX_DIGITS = 4;

const text = (value: number) => rounded(value, SOFTMAX_DIGITS).text;

interface SoftmaxFormulaProps {
  data: SoftmaxData;
  /** The class pointed at (its row, its share), or null. */
  traced: number | null;
  /** What the last line says while no class is pointed at. */
  prompt: string;
}

export function SoftmaxFormula({ data, traced, prompt }: SoftmaxFormulaProps) {
  const { softmax, classIndex } = data;
  const other = traced !== null && traced !== classIndex ? traced : null;
  const mark = (i: number) =>
    [
      "softmax-term",
      i === classIndex ? "softmax-term-selected" : "",
      i === traced ? "softmax-term-traced" : "",
    ]
      .filter(Boolean)
      .join(" ");
  return (
    <div className="softmax-formulas">
      <p className="softmax-sum" data-testid="softmax-sum">
        Σ exp(z) ={" "}
        {softmax.exps.map((value, i) => (
          <span key={i}>
            {i > 0 && " + "}
            <span className={mark(i)} data-testid="softmax-term" data-class={i}>
              {text(value)}
            </span>
          </span>
        ))}{" "}
        = {text(softmax.total)}
      </p>
      <p className="softmax-formula" data-testid="softmax-formula">
        p({data.className}) ={" "}
        <span className={mark(classIndex)}>
          exp({text(data.logits[classIndex] ?? 0)}) = {text(softmax.exps[classIndex] ?? 0)}
        </span>{" "}
        / {text(softmax.total)} ={" "}
        <strong
          data-testid="softmax-probability"
          data-value={softmax.probability}
          data-model={data.modelProbability}
        >
          {softmax.probability.toFixed(SOFTMAX_DIGITS)}
        </strong>{" "}
        ({(softmax.probability * 100).toFixed(2)}%)
      </p>
      <p className="softmax-formula softmax-formula-traced" data-testid="softmax-traced-formula">
        {other === null ? (
          prompt
        ) : (
          <>
            p({data.classNames[other]}) ={" "}
            <span className={mark(other)}>
              exp({text(data.logits[other] ?? 0)}) = {text(softmax.exps[other] ?? 0)}
            </span>{" "}
            / {text(softmax.total)} ={" "}
            {((softmax.exps[other] ?? 0) / softmax.total).toFixed(SOFTMAX_DIGITS)}
          </>
        )}
      </p>
    </div>
  );
}
