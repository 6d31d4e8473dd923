/** One study: details, open/close, join code + link + QR, live progress, and results once closed. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { messageOf } from "../api/errors";
import { instructorKeys, type Instructor, type InstructorApi, type Study } from "../api/instructor";
import { ProgressView } from "./ProgressView";
import { MaterialPanel } from "./MaterialPanel";
import { ResultsView } from "./ResultsView";
import { StudyForm } from "./StudyForm";
import { StudyShareControl } from "./StudyShareControl";

interface Props {
  api: InstructorApi;
  study: Study;
  onChanged: () => Promise<void>;
}

export function StudyPanel({ api, study, onChanged }: Props) {
  const [editing, setEditing] = useState(false);
  const [projector, setProjector] = useState(false);
  const [confirmClose, setConfirmClose] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Who is signed in: the dashboard asked once already (its cache answers).
  const me = useQuery<Instructor | null>({
    queryKey: instructorKeys.me,
    queryFn: () => api.signedIn().catch(() => null),
    staleTime: Infinity,
  }).data;
  const mayShare = Boolean(me && (me.role === "admin" || me.email === study.owner_email));

  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(null);
    } catch (caught) {
      setError(messageOf(caught));
    }
    await onChanged();
  };

  if (editing) {
    return (
      <StudyForm
        study={study}
        onCancel={() => setEditing(false)}
        onSave={async (fields) => {
          await api.editStudy(study.id, fields);
          setEditing(false);
          await onChanged();
        }}
      />
    );
  }
  const minutes = (seconds: number) => `${+(seconds / 60).toFixed(2)} min`;
  return (
    <section
      className="study-panel"
      aria-labelledby="study-panel-title"
      data-testid="study-panel"
      data-status={study.status}
    >
      <h2 id="study-panel-title">
        {study.title} <span className={`badge badge-${study.status}`}>{study.status}</span>
      </h2>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      <dl className="study-facts">
        <div>
          <dt>Pre-test</dt>
          <dd>{minutes(study.pre_test_seconds)}</dd>
        </div>
        <div>
          <dt>Learning</dt>
          <dd>{minutes(study.learning_seconds)}</dd>
        </div>
        <div>
          <dt>Post-test</dt>
          <dd>{minutes(study.post_test_seconds)}</dd>
        </div>
        <div>
          <dt>Conditions</dt>
          <dd>{study.conditions.join(", ")}</dd>
        </div>
        <div>
          <dt>Assignment seed</dt>
          <dd>{study.assignment_seed}</dd>
        </div>
        <div>
          <dt>Students expected</dt>
          <dd>{study.expected_students ?? "40 (not given)"}</dd>
        </div>
        {study.preregistration_sha256 && (
          <div>
            <dt>Pre-registration</dt>
            <dd data-testid="preregistration">
              <a href={api.preregistrationUrl(study.id)} download>
                Pre-registration
              </a>{" "}
              <span title={`SHA-256 ${study.preregistration_sha256}`}>
                SHA-256 <code>{study.preregistration_sha256.slice(0, 12)}</code>
              </span>
            </dd>
          </div>
        )}
      </dl>
      {study.status === "draft" && (
        <p className="hint">
          Opening the study writes its pre-registration (design, items, analysis and power plans,
          with its SHA-256); download it and deposit it, e.g. on OSF, before students answer.
        </p>
      )}
      <MaterialPanel key={`${study.id}-${study.status}`} study={study} />
      {mayShare && <StudyShareControl api={api} study={study} onChanged={onChanged} />}
      <div className="button-row">
        {study.status === "draft" && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
        {study.status === "draft" && (
          <button
            type="button"
            className="primary"
            onClick={() => void run(() => api.setStatus(study.id, "open"))}
          >
            Open the study
          </button>
        )}
        {study.status === "open" && !confirmClose && (
          <button type="button" className="danger" onClick={() => setConfirmClose(true)}>
            Close the study
          </button>
        )}
        {study.status === "open" && confirmClose && (
          <span role="group" aria-label="Confirm closing" className="button-row">
            Closing is final: no more answers are taken.
            <button
              type="button"
              className="danger"
              onClick={() => void run(() => api.setStatus(study.id, "close"))}
            >
              Close now
            </button>
            <button type="button" onClick={() => setConfirmClose(false)}>
              Cancel
            </button>
          </span>
        )}
        {study.status !== "closed" && (
          <button type="button" onClick={() => setProjector(true)}>
            Show on the projector
          </button>
        )}
      </div>
      {study.status !== "closed" && (
        <div
          className={projector ? "join-card join-card-projector" : "join-card"}
          data-testid="join-card"
          onKeyDown={(event) => event.key === "Escape" && setProjector(false)}
        >
          <div>
            <p className="join-label">Join code</p>
            <p className="join-code" data-testid="join-code">
              {study.join_code}
            </p>
            <p className="join-label">or open</p>
            <p className="join-link">
              <a href={study.join_link} data-testid="join-link">
                {study.join_link}
              </a>
            </p>
            {study.status === "draft" && (
              <p className="hint">Students can join once the study is open.</p>
            )}
          </div>
          <img
            src={api.qrUrl(study.id)}
            alt={`QR code of the join link ${study.join_link}`}
            className="join-qr"
          />
          {projector && (
            <button
              type="button"
              className="projector-close"
              onClick={() => setProjector(false)}
              autoFocus
            >
              Close the projector view
            </button>
          )}
        </div>
      )}
      {study.status !== "draft" && <ProgressView api={api} study={study} />}
      {study.status === "closed" && <ResultsView api={api} study={study} />}
    </section>
  );
}
