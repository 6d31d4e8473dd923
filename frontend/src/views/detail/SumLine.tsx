/** A sum written out term by term that adds up as printed, or says why it does not. */
import type { ReactNode } from "react";
import { sumDisplay } from "../../math/arithmetic";

interface SumLineProps {
  /** Each term's name (read by screen readers and shown under the number when given). */
  names?: string[];
  values: number[];
  decimals: number;
  /** Index of the term to stand out (the channel on show). */
  marked?: number | null;
  prefix?: ReactNode;
  testId?: string;
}

export function SumLine({ names, values, decimals, marked, prefix, testId }: SumLineProps) {
  const shown = sumDisplay(values, decimals);
  return (
    <div
      className="sum-line"
      data-testid={testId}
      data-exact={shown.exact}
      data-adds-up={shown.addsUp}
    >
      <p className="sum-terms">
        {prefix}
        {shown.terms.map((term, i) => (
          <span
            key={i}
            className={i === marked ? "sum-term sum-term-marked" : "sum-term"}
            title={names?.[i]}
            data-term={values[i]}
          >
            {i > 0 && " + "}
            {term.startsWith("−") && i > 0 ? `(${term})` : term}
          </span>
        ))}
        {" = "}
        <strong data-testid={testId && `${testId}-total`}>{shown.total}</strong>
      </p>
      {shown.note && <p className="rounding-note">{shown.note}</p>}
    </div>
  );
}
