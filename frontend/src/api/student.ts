/** The student's endpoints of the study (`/api/student/*`, evaluation/README.md), typed. */
import { createHttp, type HttpOptions } from "./http";
import type { Narrow, StudySchemas } from "./schemas";

/** The steps the study service moves a student through (evaluation/flow.py). */
export type Step =
  | "consent"
  | "pre_test"
  | "assignment"
  | "learning"
  | "post_test"
  | "questionnaire"
  | "done"
  | "declined"
  | "free_use";
export type QuizPhase = StudySchemas["AnswerRequest"]["phase"];
export type ConsentChoice = StudySchemas["ConsentRequest"]["choice"];
/** The study's two conditions (evaluation/assignment.py). */
export type Condition = "cnn101" | "conventional";

export type QuizItem = StudySchemas["ItemForStudent"];
export type PhaseView = Narrow<
  StudySchemas["PhaseView"],
  { phase: "pre" | "learning" | "post"; condition?: Condition | null }
>;
export type StudentState = Narrow<
  StudySchemas["StudentState"],
  {
    step: Step;
    consent: ConsentChoice | null;
    condition: Condition | null;
    phase: PhaseView | null;
  }
>;
export type JoinResponse = StudySchemas["JoinResponse"];
export type AnswerReceipt = StudySchemas["AnswerReceipt"];
export type ItemReview = StudySchemas["ItemReview"];
export type Outcome = StudySchemas["Outcome"];
export type StudyEvent = StudySchemas["EventIn"];
export type Questionnaire = StudySchemas["QuestionnaireRequest"];
export type Assignment = Narrow<StudySchemas["AssignmentResult"], { condition: Condition }>;

/** The service takes at most this many events per request. */
export const MAX_EVENTS_PER_REQUEST = 200;

export function createStudentApi(token: () => string | null, options: HttpOptions = {}) {
  const http = createHttp({
    ...options,
    headers: (): Record<string, string> => {
      const current = token();
      return current === null ? {} : { Authorization: `Bearer ${current}` };
    },
  });
  const base = "/api/student";
  const post = <T>(path: string, json?: unknown) =>
    http.json<T>(`${base}/${path}`, { method: "POST", json });
  return {
    join: (code: string) =>
      post<JoinResponse>("join", { code } satisfies StudySchemas["JoinRequest"]),
    state: () => http.json<StudentState>(`${base}/state`),
    /** `section`: the index of the student's course section (null: the study has none). */
    consent: (choice: ConsentChoice, priorMl: boolean | null, section: number | null = null) =>
      post<undefined>(
        "consent",
        (choice === "participate"
          ? { choice, prior_ml: priorMl, ...(section === null ? {} : { section }) }
          : { choice }) satisfies StudySchemas["ConsentRequest"],
      ),
    startPhase: (phase: PhaseView["phase"]) => post<PhaseView>(`phases/${phase}/start`),
    finishPhase: (phase: QuizPhase) => post<PhaseView>(`phases/${phase}/finish`),
    /** `submissionId` is the answer's idempotency key: a retry of the same answer is stored once. */
    answer: (submissionId: string, phase: QuizPhase, itemId: number, choiceIndex: number) =>
      post<AnswerReceipt>("answers", {
        submission_id: submissionId,
        phase,
        item_id: itemId,
        choice_index: choiceIndex,
      } satisfies StudySchemas["AnswerRequest"]),
    assignment: () => post<Assignment>("assignment"),
    events: (events: StudyEvent[]) =>
      post<StudySchemas["EventsReceipt"]>("events", {
        events,
      } satisfies StudySchemas["EventsRequest"]),
    /**
     * The last events when the page goes away: keepalive lets the request outlive the page,
     * and there is nobody left to retry it or read its answer.
     */
    eventsOnLeave: (events: StudyEvent[]): void => {
      if (events.length === 0 || token() === null) return;
      const json: StudySchemas["EventsRequest"] = {
        events: events.slice(0, MAX_EVENTS_PER_REQUEST),
      };
      http
        .request(`${base}/events`, { method: "POST", json, keepalive: true, retry: false })
        .catch(() => undefined);
    },
    questionnaire: (answers: Questionnaire) => post<undefined>("questionnaire", answers),
    outcome: () => http.json<Outcome>(`${base}/outcome`),
    /** The uploaded material of the conventional arm while learning (404: the tutorial). */
    material: () => http.json<StudySchemas["StudentMaterial"]>(`${base}/material`),
    withdraw: () => http.json<undefined>(`${base}/me`, { method: "DELETE" }),
  };
}

export type StudentApi = ReturnType<typeof createStudentApi>;

/** A fresh id for one answer: a retry of the same answer reuses it, so it is stored once. */
export function newSubmissionId(): string {
  // getRandomValues, not randomUUID: a classroom address (http://192.168...) is not a secure context.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
