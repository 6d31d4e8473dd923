/**
 * The student's pages: join → consent → pre-test → assignment → learning → post-test →
 * questionnaire → done. The server decides the step (GET /state); this page shows it, so a
 * reload or another device resumes exactly there.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createStudentApi, type StudentState } from "../api/student";
import { Consent } from "./Consent";
import { Done } from "./Done";
import { ApiError, messageOf } from "../api/errors";
import { Join } from "./Join";
import { Learning } from "./Learning";
import { Page } from "./Page";
import { Questionnaire } from "./Questionnaire";
import { QuizStep } from "./QuizStep";
import { forgetJoined, loadJoined, saveJoined, type Joined } from "./storage";
import { FreeUse } from "./FreeUse";
import { Withdraw } from "./Withdraw";

export function StudyApp() {
  const [joined, setJoined] = useState<Joined | null>(loadJoined);
  const [state, setState] = useState<StudentState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [retrying, setRetrying] = useState<string | null>(null);
  const [farewell, setFarewell] = useState<string | null>(null);
  const token = useRef(joined?.token ?? null);
  token.current = joined?.token ?? null;

  const api = useMemo(
    () =>
      createStudentApi(() => token.current, {
        onRetry: ({ error, waitSeconds }) =>
          setRetrying(`${error.message} Trying again in ${Math.ceil(waitSeconds)} s.`),
      }),
    [],
  );

  const queryClient = useQueryClient();
  const leave = useCallback(
    (message: string | null) => {
      queryClient.clear(); // nothing of this student stays for the next one on this computer
      forgetJoined();
      token.current = null;
      setJoined(null);
      setState(null);
      setFarewell(message);
    },
    [queryClient],
  );

  const refresh = useCallback(async () => {
    try {
      const next = await api.state();
      setState(next);
      setError(null);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401)
        leave("Your session is no longer valid; join again with the code.");
      else setError(messageOf(caught));
    } finally {
      setRetrying(null);
    }
  }, [api, leave]);

  useEffect(() => {
    if (joined !== null) void refresh();
  }, [joined, refresh]);

  const onJoined = (next: Joined) => {
    saveJoined(next);
    token.current = next.token;
    setFarewell(null);
    setJoined(next);
  };

  /** Runs an action, then reloads the state; an error is shown and the state reloaded too. */
  const act = useCallback(
    async (action: () => Promise<unknown>) => {
      try {
        await action();
        setError(null);
      } catch (caught) {
        setError(messageOf(caught));
      } finally {
        setRetrying(null);
      }
      await refresh();
    },
    [refresh],
  );

  const step = state?.step;
  const title = state?.study_title ?? joined?.studyTitle ?? "";
  return (
    <div className="study">
      <header className="study-header">
        <h1>CNN 101 study</h1>
        {title !== "" && <p className="study-title">{title}</p>}
        {state && (
          <p className="study-code">
            Your code: <strong data-testid="participant-code">{state.participant_code}</strong>
          </p>
        )}
        {state && step !== "declined" && (
          <Withdraw
            onWithdraw={async () => {
              await api.withdraw();
              leave("You have withdrawn. Everything recorded about you has been deleted.");
            }}
          />
        )}
      </header>
      {retrying && (
        <p className="status status-retrying" role="status">
          {retrying}
        </p>
      )}
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      {state && state.study_status !== "open" && step !== "done" && (
        <p className="status" role="status">
          This study is {state.study_status}; ask your instructor.
        </p>
      )}
      <main className="study-main">
        {joined === null && <Join api={api} onJoined={onJoined} farewell={farewell} />}
        {joined !== null && state === null && error === null && <p role="status">Loading…</p>}
        {step === "consent" && joined && (
          <Consent
            consentText={state?.consent_text ?? joined.consentText}
            sections={state?.sections ?? []}
            onChoose={(choice, priorMl, section) =>
              act(() => api.consent(choice, priorMl, section))
            }
          />
        )}
        {step === "declined" && (
          <Page title="Thank you">
            You declined to take part. Nothing about you is used; you may close this page.
          </Page>
        )}
        {step === "free_use" && <FreeUse />}
        {(step === "pre_test" || step === "post_test") && state && (
          <QuizStep
            key={step}
            api={api}
            state={state}
            phase={step === "pre_test" ? "pre" : "post"}
            act={act}
            refresh={refresh}
          />
        )}
        {step === "assignment" && (
          <Page title="Pre-test done">
            <p>
              Thank you. Next you will study the material you are given, for a fixed time, and then
              take a second test.
            </p>
            <button
              type="button"
              className="primary"
              onClick={() => void act(() => api.assignment())}
            >
              Continue to the learning phase
            </button>
          </Page>
        )}
        {step === "learning" && state && (
          <Learning api={api} state={state} act={act} refresh={refresh} />
        )}
        {step === "questionnaire" && (
          <Questionnaire
            condition={state?.condition ?? null}
            onSubmit={(answers) => act(() => api.questionnaire(answers))}
          />
        )}
        {step === "done" && <Done api={api} />}
      </main>
    </div>
  );
}
