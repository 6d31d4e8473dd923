/** The instructor's dashboard: log in, run studies (join code, progress, results), edit the item bank; the admin also reads the audit log. */
import { hashKey, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, messageOf } from "../api/errors";
import {
  createInstructorApi,
  instructorKeys,
  type Instructor,
  type Study,
} from "../api/instructor";
import { AccountPanel } from "./AccountPanel";
import { AuditPanel } from "./AuditPanel";
import { ItemBank } from "./ItemBank";
import { PresentButton } from "../presenter/PresentButton";
import { LessonComposer } from "./lessons/LessonComposer";
import { Login } from "./Login";
import { ModelsPanel } from "./models/ModelsPanel";
import { StudyForm } from "./StudyForm";
import { StudyPanel } from "./StudyPanel";

const NO_STUDIES: Study[] = [];

type View =
  | { kind: "lessons" }
  | { kind: "studies" }
  | { kind: "new" }
  | { kind: "study"; id: number }
  | { kind: "items" }
  | { kind: "models" }
  | { kind: "account" }
  | { kind: "audit" };

export function InstructorApp() {
  const api = useMemo(() => createInstructorApi(), []);
  const queryClient = useQueryClient();
  const [view, setView] = useState<View>({ kind: "studies" });

  // Signed in (the instructor), or not (null: the login form); undefined while asking.
  const me = useQuery({
    queryKey: instructorKeys.me,
    queryFn: () => api.signedIn().catch(() => null),
    staleTime: Infinity,
  }).data;
  /** A new session (or none): nothing read for another one is kept. */
  const setMe = useCallback(
    (next: Instructor | null) => {
      // Removed, not cleared: the query of `me` keeps its observer, so the page sees the change.
      const session = hashKey(instructorKeys.me);
      queryClient.removeQueries({ predicate: (query) => query.queryHash !== session });
      queryClient.setQueryData(instructorKeys.me, next);
    },
    [queryClient],
  );
  const studyList = useQuery({
    queryKey: instructorKeys.studies,
    queryFn: api.studies,
    enabled: Boolean(me),
  });
  const studies = studyList.data ?? NO_STUDIES;
  const signedOut = studyList.error instanceof ApiError && studyList.error.status === 401;
  useEffect(() => {
    if (signedOut) setMe(null);
  }, [signedOut, setMe]);
  const error = studyList.error && !signedOut ? messageOf(studyList.error) : null;
  const reload = useCallback(
    () => queryClient.invalidateQueries({ queryKey: instructorKeys.studies }),
    [queryClient],
  );

  if (me === undefined)
    return (
      <p role="status" className="instructor">
        Loading…
      </p>
    );
  if (me === null) return <Login api={api} onLogin={setMe} />;

  const selected =
    view.kind === "study" ? studies.find((study) => study.id === view.id) : undefined;
  return (
    <div className="instructor">
      <header className="study-header">
        <h1>CNN 101 — instructor</h1>
        <nav className="instructor-nav" aria-label="Dashboard">
          <button
            type="button"
            aria-current={view.kind === "studies" || view.kind === "study" ? "page" : undefined}
            onClick={() => setView({ kind: "studies" })}
          >
            Studies
          </button>
          <button
            type="button"
            aria-current={view.kind === "items" ? "page" : undefined}
            onClick={() => setView({ kind: "items" })}
          >
            Item bank
          </button>
          <button
            type="button"
            aria-current={view.kind === "lessons" ? "page" : undefined}
            onClick={() => setView({ kind: "lessons" })}
          >
            Lesson links
          </button>
          <button
            type="button"
            aria-current={view.kind === "models" ? "page" : undefined}
            onClick={() => setView({ kind: "models" })}
          >
            Models
          </button>
          <button
            type="button"
            aria-current={view.kind === "account" ? "page" : undefined}
            onClick={() => setView({ kind: "account" })}
          >
            Account
          </button>
          {me.role === "admin" && (
            <button
              type="button"
              aria-current={view.kind === "audit" ? "page" : undefined}
              onClick={() => setView({ kind: "audit" })}
            >
              Audit log
            </button>
          )}
        </nav>
        <p className="study-code">{me.email}</p>
        <PresentButton />
        <button type="button" onClick={() => void api.logout().finally(() => setMe(null))}>
          Log out
        </button>
      </header>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      <main className="instructor-main">
        {view.kind === "items" && <ItemBank api={api} />}
        {view.kind === "account" && <AccountPanel api={api} me={me} />}
        {view.kind === "audit" && me.role === "admin" && <AuditPanel api={api} />}
        {view.kind === "lessons" && <LessonComposer />}
        {view.kind === "models" && <ModelsPanel onUnauthorised={() => setMe(null)} />}
        {view.kind === "new" && (
          <StudyForm
            onCancel={() => setView({ kind: "studies" })}
            onSave={async (fields) => {
              const created = await api.createStudy(fields);
              await reload();
              setView({ kind: "study", id: created.id });
            }}
          />
        )}
        {(view.kind === "studies" || view.kind === "study") && (
          <div className="instructor-columns">
            <section className="study-list" aria-labelledby="studies-title">
              <h2 id="studies-title">Studies</h2>
              <button type="button" className="primary" onClick={() => setView({ kind: "new" })}>
                New study
              </button>
              <ul>
                {studies.map((study) => (
                  <li key={study.id}>
                    <button
                      type="button"
                      className="study-entry"
                      aria-current={selected?.id === study.id ? "true" : undefined}
                      onClick={() => setView({ kind: "study", id: study.id })}
                    >
                      <span>{study.title}</span>{" "}
                      <span className={`badge badge-${study.status}`}>{study.status}</span>
                      {study.owner_email !== me.email && (
                        <span className="hint study-owner"> {study.owner_email}</span>
                      )}
                    </button>
                  </li>
                ))}
              </ul>
              {studies.length === 0 && <p className="hint">No studies yet.</p>}
            </section>
            {selected ? (
              <StudyPanel key={selected.id} api={api} study={selected} onChanged={reload} />
            ) : (
              <p className="hint">Choose a study, or create one.</p>
            )}
          </div>
        )}
      </main>
    </div>
  );
}
