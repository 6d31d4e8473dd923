/** The end: the student's own scores, and every question with the correct answer and why. */
import { useQuery } from "@tanstack/react-query";
import type { ItemReview, StudentApi } from "../api/student";
import { messageOf } from "../api/errors";
import { Page } from "./Page";

export function Done({ api }: { api: StudentApi }) {
  // The outcome is final once the student is done.
  const query = useQuery({
    queryKey: ["student", "outcome"],
    queryFn: api.outcome,
    staleTime: Infinity,
  });
  const outcome = query.data ?? null;
  const error = query.error ? messageOf(query.error) : null;

  return (
    <Page title="Done — thank you!">
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      {outcome === null && error === null && <p role="status">Loading your results…</p>}
      {outcome && (
        <>
          <dl className="scores" data-testid="scores">
            <div>
              <dt>Pre-test</dt>
              <dd data-testid="pre-score">
                {outcome.pre_score} / {outcome.pre_total}
              </dd>
            </div>
            <div>
              <dt>Post-test</dt>
              <dd data-testid="post-score">
                {outcome.post_score} / {outcome.post_total}
              </dd>
            </div>
          </dl>
          {(["pre", "post"] as const).map((phase) => (
            <section key={phase} className="review">
              <h3>{phase === "pre" ? "Pre-test" : "Post-test"}: the correct answers</h3>
              <ol>
                {outcome.items
                  .filter((item) => item.phase === phase)
                  .map((item) => (
                    <Review key={`${phase}-${item.id}`} item={item} />
                  ))}
              </ol>
            </section>
          ))}
        </>
      )}
    </Page>
  );
}

function Review({ item }: { item: ItemReview }) {
  return (
    <li
      className={`review-item ${item.correct ? "review-correct" : "review-wrong"}`}
      data-testid="review-item"
    >
      <p className="stem">{item.stem}</p>
      <ul className="review-options">
        {item.options.map((option, index) => {
          const marks = [
            index === item.correct_index ? "correct answer" : "",
            index === item.your_choice ? "your answer" : "",
          ].filter(Boolean);
          return (
            <li
              key={option}
              className={
                index === item.correct_index
                  ? "review-key"
                  : index === item.your_choice
                    ? "review-chosen"
                    : ""
              }
            >
              {option}
              {marks.length > 0 && <strong> ({marks.join(", ")})</strong>}
            </li>
          );
        })}
      </ul>
      {item.your_choice === null && <p className="hint">Not answered.</p>}
      <p className="explanation">
        {item.correct ? "✓ Correct. " : "✗ "}
        {item.explanation}
      </p>
    </li>
  );
}
