/** The student's endpoints (`/api/student/*`, evaluation/README.md), typed. */
import { createHttp, type HttpOptions } from "./http";

export type Step =
  | "consent" | "pre_test" | "assignment" | "learning" | "post_test" | "questionnaire" | "done"
  | "declined" | "free_use";
export type QuizPhase = "pre" | "post";
export type ConsentChoice = "participate" | "no_data" | "decline";
export type Condition = "cnn101" | "conventional";

export interface QuizItem {
  id: number;
  position: number;
  stem: string;
  options: string[];
}

export interface PhaseView {
  phase: "pre" | "learning" | "post";
  form: string | null;
  condition: Condition | null;
  started_at: string;
  deadline_at: string;
  seconds_left: number;
  finished_at: string | null;
  items: QuizItem[];
  /** item id (as a JSON key) → the stored choice. */
  answered: Record<string, number>;
}

export interface StudentState {
  participant_code: string;
  study_title: string;
  study_status: string;
  consent_text: string;
  step: Step;
  consent: ConsentChoice | null;
  condition: Condition | null;
  phase: PhaseView | null;
}

export interface JoinResponse {
  token: string;
  participant_code: string;
  study_title: string;
  consent_text: string;
}

export interface AnswerReceipt {
  submission_id: string;
  phase: QuizPhase;
  item_id: number;
  choice_index: number;
  answered_at: string;
}

export interface ItemReview {
  id: number;
  phase: QuizPhase;
  form: string;
  position: number;
  concept: string;
  stem: string;
  options: string[];
  correct_index: number;
  explanation: string;
  your_choice: number | null;
  correct: boolean;
}

export interface Outcome {
  pre_score: number;
  pre_total: number;
  post_score: number;
  post_total: number;
  items: ItemReview[];
}

export interface StudyEvent {
  kind: string;
  client_time_ms: number;
  payload: Record<string, unknown>;
}

export interface Questionnaire {
  umux_capabilities: number;
  umux_ease: number;
  mental_effort: number;
}

export function createStudentApi(token: () => string | null, options: HttpOptions = {}) {
  const http = createHttp({
    ...options,
    headers: (): Record<string, string> => {
      const current = token();
      return current === null ? {} : { Authorization: `Bearer ${current}` };
    },
  });
  const base = "/api/student";
  return {
    join: (code: string) => http.json<JoinResponse>(`${base}/join`, { method: "POST", body: { code } }),
    state: () => http.json<StudentState>(`${base}/state`),
    consent: (choice: ConsentChoice, priorMl: boolean | null) =>
      http.json<undefined>(`${base}/consent`, {
        method: "POST",
        body: choice === "participate" ? { choice, prior_ml: priorMl } : { choice },
      }),
    startPhase: (phase: "pre" | "learning" | "post") =>
      http.json<PhaseView>(`${base}/phases/${phase}/start`, { method: "POST" }),
    finishPhase: (phase: QuizPhase) => http.json<PhaseView>(`${base}/phases/${phase}/finish`, { method: "POST" }),
    answer: (submissionId: string, phase: QuizPhase, itemId: number, choiceIndex: number) =>
      http.json<AnswerReceipt>(`${base}/answers`, {
        method: "POST",
        body: { submission_id: submissionId, phase, item_id: itemId, choice_index: choiceIndex },
      }),
    assignment: () => http.json<{ condition: Condition; stratum: string }>(`${base}/assignment`, { method: "POST" }),
    events: (events: StudyEvent[]) => http.json<{ stored: number }>(`${base}/events`, { method: "POST", body: { events } }),
    questionnaire: (answers: Questionnaire) =>
      http.json<undefined>(`${base}/questionnaire`, { method: "POST", body: answers }),
    outcome: () => http.json<Outcome>(`${base}/outcome`),
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
