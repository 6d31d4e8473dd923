/** After closing: the analysis tables, the plots and the export links. */
import { useQuery } from "@tanstack/react-query";
import { messageOf } from "../api/errors";
import { instructorKeys, type InstructorApi, type Study } from "../api/instructor";
import { GainPlot, ItemPlot, PrePostPlot } from "./plots";
import { formatNumber as f, formatP } from "./plotData";
import { ReportPanel } from "./ReportPanel";
import { ancovaDetailRows, rankTestText } from "./ancovaText";
import { FlowTable } from "./FlowTable";
import { Population, SensitivityTables } from "./SensitivityTables";

export function ResultsView({ api, study }: { api: InstructorApi; study: Study }) {
  // A closed study's results do not change: asked for once per study.
  const query = useQuery({
    queryKey: instructorKeys.results(study.id),
    queryFn: async () => {
      const [results, plots] = await Promise.all([api.results(study.id), api.plots(study.id)]);
      return { results, plots };
    },
    staleTime: Infinity,
  });
  if (query.error)
    return (
      <p className="status status-error" role="alert">
        {messageOf(query.error)}
      </p>
    );
  if (!query.data) return <p role="status">Loading the results…</p>;
  const { results, plots } = query.data;
  const { ancova, gain_test: welch, gain_rank_test: rank } = results;
  return (
    <section className="results" aria-labelledby="results-title" data-testid="results">
      <h3 id="results-title">Results</h3>
      <p className="hint">Scores are the {results.scores_are}.</p>
      {results.plain_summary.length > 0 && (
        <section className="plain-summary" aria-labelledby="plain-summary-title">
          <h4 id="plain-summary-title">In plain words</h4>
          <ul data-testid="plain-summary">
            {results.plain_summary.map((sentence) => (
              <li key={sentence}>{sentence}</li>
            ))}
          </ul>
        </section>
      )}
      {results.flow && <FlowTable flow={results.flow} />}
      <table className="data-table" data-testid="summary-table">
        <caption>
          Per condition
          <Population results={results} table="conditions" />
        </caption>
        <thead>
          <tr>
            <th scope="col">condition</th>
            <th scope="col">n</th>
            <th scope="col">pre mean (SD)</th>
            <th scope="col">post mean (SD)</th>
            <th scope="col">gain mean (SD)</th>
            <th scope="col">normalised gain</th>
          </tr>
        </thead>
        <tbody>
          {results.conditions.map((row) => (
            <tr key={row.condition} data-condition={row.condition}>
              <th scope="row">{row.condition}</th>
              <td data-testid={`n-${row.condition}`}>{row.n}</td>
              <td>
                {f(row.pre_mean)} ({f(row.pre_sd)})
              </td>
              <td>
                {f(row.post_mean)} ({f(row.post_sd)})
              </td>
              <td>
                {f(row.gain_mean)} ({f(row.gain_sd)})
              </td>
              <td>{f(row.normalised_gain)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="data-table" data-testid="tests-table">
        <caption>
          Tests (cnn101 − conventional)
          <Population results={results} table="ancova_detail" />
        </caption>
        <tbody>
          <tr>
            <th scope="row">ANCOVA: post-test on condition, pre-test as covariate</th>
            <td>
              {ancova
                ? `adjusted difference ${f(ancova.adjusted_difference, 3)} (SE ${f(ancova.standard_error, 3)}), F(1, ${ancova.df}) = ${f(ancova.f)}, p ${formatP(ancova.p)}, partial η² = ${f(ancova.partial_eta_squared, 3)}`
                : `not computed: ${results.ancova_undefined ?? "too few students"}`}
            </td>
          </tr>
          {ancovaDetailRows(results.ancova_detail).map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td>
                {row.text}
                {row.note ? (
                  <p className="hint" role="note">
                    {row.note}
                  </p>
                ) : null}
              </td>
            </tr>
          ))}
          <tr>
            <th scope="row">Welch's t on gains, Hedges' g (95 % CI)</th>
            <td>
              {welch
                ? `t(${f(welch.df, 1)}) = ${f(welch.t)}, p ${formatP(welch.p)}; g = ${f(welch.hedges_g)} [${f(welch.g_ci_low)}, ${f(welch.g_ci_high)}]`
                : "too few students"}
            </td>
          </tr>
          <tr>
            <th scope="row">Mann–Whitney U on gains</th>
            <td>{rank ? rankTestText(rank) : "too few students"}</td>
          </tr>
        </tbody>
      </table>
      <SensitivityTables results={results} />
      <div className="plots">
        <PrePostPlot points={plots.students} conditions={study.conditions} />
        <GainPlot histogram={plots.gain_histogram} conditions={study.conditions} />
      </div>
      <h4>Items</h4>
      <ItemPlot items={plots.items} />
      <table className="data-table" data-testid="reliability-table">
        <caption>
          Reliability (KR-20)
          <Population results={results} table="reliability" />
        </caption>
        <thead>
          <tr>
            <th scope="col">form</th>
            <th scope="col">phase</th>
            <th scope="col">n</th>
            <th scope="col">KR-20</th>
          </tr>
        </thead>
        <tbody>
          {results.reliability.map((row) => (
            <tr key={`${row.form}-${row.phase}`}>
              <td>{row.form}</td>
              <td>{row.phase}</td>
              <td>{row.n}</td>
              <td>{f(row.kr20)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {results.questionnaire.length > 0 && (
        <table className="data-table" data-testid="questionnaire-table">
          <caption>
            Questionnaire after the post-test (descriptives only)
            <Population results={results} table="questionnaire" />
          </caption>
          <thead>
            <tr>
              <th scope="col">condition</th>
              <th scope="col">n</th>
              <th scope="col">UMUX-Lite, 0–100: mean (SD)</th>
              <th scope="col">mental effort, 1–9: mean (SD)</th>
            </tr>
          </thead>
          <tbody>
            {results.questionnaire.map((row) => (
              <tr key={row.condition}>
                <th scope="row">{row.condition}</th>
                <td>{row.n}</td>
                <td>
                  {f(row.umux_lite_mean, 1)} ({f(row.umux_lite_sd, 1)})
                </td>
                <td>
                  {f(row.mental_effort_mean)} ({f(row.mental_effort_sd)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary>Item statistics ({results.items.length})</summary>
        <table className="data-table">
          <caption>
            Items
            <Population results={results} table="items" />
          </caption>
          <thead>
            <tr>
              <th scope="col">item</th>
              <th scope="col">phase</th>
              <th scope="col">concept</th>
              <th scope="col">n</th>
              <th scope="col">difficulty</th>
              <th scope="col">discrimination</th>
            </tr>
          </thead>
          <tbody>
            {results.items.map((item) => (
              <tr key={`${item.item_key}-${item.phase}`}>
                <td>{item.item_key}</td>
                <td>{item.phase}</td>
                <td>{item.concept}</td>
                <td>{item.n}</td>
                <td>{f(item.difficulty)}</td>
                <td>{f(item.discrimination)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <details>
        <summary>Correct answers per concept</summary>
        <table className="data-table">
          <caption>
            Concepts
            <Population results={results} table="concepts" />
          </caption>
          <thead>
            <tr>
              <th scope="col">concept</th>
              <th scope="col">condition</th>
              <th scope="col">phase</th>
              <th scope="col">correct / answered</th>
            </tr>
          </thead>
          <tbody>
            {results.concepts.map((row) => (
              <tr key={`${row.concept}-${row.condition}-${row.phase}`}>
                <td>{row.concept}</td>
                <td>{row.condition}</td>
                <td>{row.phase}</td>
                <td>
                  {row.correct} / {row.answered} ({f(row.proportion_correct)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <h4>Export</h4>
      <ul className="exports" data-testid="exports">
        <li>
          Participants:{" "}
          <a href={api.exportUrl(study.id, "participants", "csv")} download>
            CSV
          </a>
          , <a href={api.exportUrl(study.id, "participants", "json")}>JSON</a>
        </li>
        <li>
          Answers:{" "}
          <a href={api.exportUrl(study.id, "answers", "csv")} download>
            CSV
          </a>
          , <a href={api.exportUrl(study.id, "answers", "json")}>JSON</a>
        </li>
        <li>
          Allocation log (every randomised slot, withdrawn students' too):{" "}
          <a href={api.exportUrl(study.id, "allocations", "csv")} download>
            CSV
          </a>
          , <a href={api.exportUrl(study.id, "allocations", "json")}>JSON</a>
        </li>
        <li>
          Interaction events of the learning phase (views opened, neurons clicked, time per view):{" "}
          <a href={api.exportUrl(study.id, "events", "csv")} download>
            CSV
          </a>
          , <a href={api.exportUrl(study.id, "events", "json")}>JSON</a>
        </li>
        <li>
          <a href={api.codebookUrl(study.id)}>Codebook</a> (what every column means)
        </li>
      </ul>
      <ReportPanel api={api} study={study} />
    </section>
  );
}
