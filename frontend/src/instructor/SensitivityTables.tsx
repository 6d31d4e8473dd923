/** The intention-to-treat analysis beside the complete-case one, and the section checks
 * (section fixed effects, errors clustered by section), with each table's population. */
import type { Results } from "../api/instructor";
import { formatNumber as f, formatP } from "./plotData";

type Effect = NonNullable<NonNullable<Results["section_sensitivity"]>["clustered"]>;

/** "Population: …" for a table, or nothing when the results predate the labels. */
export function Population({ results, table }: { results: Results; table: string }) {
  const text = results.populations?.[table];
  return text ? <span className="hint"> — population: {text}</span> : null;
}

function effectText(effect: Effect): string {
  return `adjusted difference ${f(effect.adjusted_difference, 3)} (SE ${f(effect.standard_error, 3)}), 95 % CI [${f(effect.ci_low, 3)}, ${f(effect.ci_high, 3)}], t(${effect.df}) = ${f(effect.t)}, p ${formatP(effect.p)}`;
}

export function SensitivityTables({ results }: { results: Results }) {
  const itt = results.itt;
  const sections = results.section_sensitivity;
  return (
    <>
      {itt && (
        <table className="data-table" data-testid="itt-table">
          <caption>
            Intention to treat beside complete cases
            {itt.planned === false && (
              <span className="hint"> (exploratory: not pre-registered)</span>
            )}
            <Population results={results} table="itt" />
          </caption>
          <tbody>
            <tr>
              <th scope="row">Rule</th>
              <td>{itt.rule}</td>
            </tr>
            <tr>
              <th scope="row">
                ITT ANCOVA (n = {itt.n}, imputed {itt.imputed})
              </th>
              <td>
                {itt.identical_to_complete_cases
                  ? itt.statement
                  : itt.ancova
                    ? `adjusted difference ${f(itt.ancova.adjusted_difference, 3)}, 95 % CI [${f(itt.ancova.ci_low, 3)}, ${f(itt.ancova.ci_high, 3)}], p ${formatP(itt.ancova.p)}`
                    : `undefined: ${itt.ancova_undefined ?? "too few students"}`}
              </td>
            </tr>
            {results.ancova_detail && !itt.identical_to_complete_cases && (
              <tr>
                <th scope="row">Complete cases (n = {results.ancova_detail.n})</th>
                <td>
                  adjusted difference {f(results.ancova_detail.adjusted_difference, 3)}, 95 % CI [
                  {f(results.ancova_detail.ci_low, 3)}, {f(results.ancova_detail.ci_high, 3)}], p{" "}
                  {formatP(results.ancova_detail.p)}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {sections && (
        <table className="data-table" data-testid="sections-table">
          <caption>
            Sections: {sections.clusters} (
            {sections.sections.map((row) => `${row.section} ${row.n}`).join(", ")})
            {sections.planned === false && (
              <span className="hint"> (exploratory: not pre-registered)</span>
            )}
            <Population results={results} table="section_sensitivity" />
          </caption>
          <tbody>
            <tr>
              <th scope="row">With section fixed effects</th>
              <td>
                {sections.fixed_effects
                  ? effectText(sections.fixed_effects)
                  : `undefined: ${sections.fixed_effects_undefined ?? ""}`}
              </td>
            </tr>
            <tr>
              <th scope="row">Errors clustered by section</th>
              <td>
                {sections.clustered
                  ? effectText(sections.clustered)
                  : `undefined: ${sections.clustered_undefined ?? ""}`}
                {sections.caveat && (
                  <p className="hint" role="note">
                    {sections.caveat}
                  </p>
                )}
              </td>
            </tr>
          </tbody>
        </table>
      )}
    </>
  );
}
