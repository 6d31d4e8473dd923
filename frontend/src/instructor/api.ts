/** The instructor's endpoints (`/api/instructor/*`, evaluation/README.md), typed. */
import { createHttp, type HttpOptions } from "../study/http";

export interface Instructor {
  id: number;
  email: string;
}

export interface Study {
  id: number;
  title: string;
  consent_text: string;
  conditions: string[];
  learning_seconds: number;
  pre_test_seconds: number;
  post_test_seconds: number;
  status: "draft" | "open" | "closed";
  join_code: string;
  join_link: string;
  assignment_seed: number;
  created_at: string;
  opened_at: string | null;
  closed_at: string | null;
}

export interface StudyFields {
  title: string;
  consent_text: string;
  learning_seconds: number;
  pre_test_seconds: number;
  post_test_seconds: number;
  assignment_seed?: number;
}

export interface Progress {
  counts: Record<string, Record<string, number>>;
  stuck: { participant: string; step: string; condition: string | null; idle_seconds: number }[];
}

export interface ConditionSummary {
  condition: string;
  n: number;
  pre_mean: number | null;
  pre_sd: number | null;
  post_mean: number | null;
  post_sd: number | null;
  gain_mean: number | null;
  gain_sd: number | null;
  normalised_gain: number | null;
}

export interface Results {
  scores_are: string;
  conditions: ConditionSummary[];
  ancova: {
    n: number; adjusted_difference: number; standard_error: number; t: number; df: number; p: number; f: number;
    partial_eta_squared: number; pre_slope: number;
  } | null;
  gain_test: { t: number; df: number; p: number; hedges_g: number; g_ci_low: number; g_ci_high: number } | null;
  gain_rank_test: { u: number; p: number } | null;
  concepts: { concept: string; condition: string; phase: string; answered: number; correct: number; proportion_correct: number }[];
  items: ItemStatistic[];
  reliability: { form: string; phase: string; n: number; kr20: number | null }[];
}

export interface ItemStatistic {
  item_key: string;
  form: string;
  phase: string;
  concept: string;
  n: number;
  difficulty: number;
  discrimination: number | null;
}

export interface StudentScore {
  participant: string;
  condition: string;
  pre: number;
  post: number;
  gain: number;
}

/** GET /plots: what the results plots draw (evaluation/README.md). */
export interface PlotData {
  scores_are: string;
  students: StudentScore[];
  /** Bins [edges[i], edges[i+1]), the last one closed; counts per condition. */
  gain_histogram: { edges: number[]; counts: Record<string, number[]> };
  items: ItemStatistic[];
}

export interface ReportStatus {
  status: "queued" | "running" | "done" | "failed";
  percent: number;
  step: string;
  build_id: string;
  requested_at: string;
  finished_at: string | null;
  error: string | null;
  html_url: string | null;
}

export interface Item {
  id: number;
  key: string;
  form: "A" | "B";
  position: number;
  concept: string;
  stem: string;
  options: string[];
  correct_index: number;
  explanation: string;
}

export type ItemData = Omit<Item, "id">;

export function createInstructorApi(options: HttpOptions = {}) {
  const http = createHttp({ ...options, maxAttempts: 3 });
  const base = "/api/instructor";
  const study = (id: number) => `${base}/studies/${id}`;
  return {
    me: () => http.json<Instructor>(`${base}/me`),
    login: (email: string, password: string) => http.json<Instructor>(`${base}/login`, { method: "POST", body: { email, password } }),
    logout: () => http.json<undefined>(`${base}/logout`, { method: "POST" }),
    studies: () => http.json<Study[]>(`${base}/studies`),
    createStudy: (fields: StudyFields) => http.json<Study>(`${base}/studies`, { method: "POST", body: fields }),
    editStudy: (id: number, fields: Partial<StudyFields>) => http.json<Study>(study(id), { method: "PATCH", body: fields }),
    setStatus: (id: number, action: "open" | "close") => http.json<Study>(`${study(id)}/${action}`, { method: "POST" }),
    progress: (id: number) => http.json<Progress>(`${study(id)}/progress`),
    results: (id: number) => http.json<Results>(`${study(id)}/results`),
    plots: (id: number) => http.json<PlotData>(`${study(id)}/plots`),
    report: (id: number) => http.json<ReportStatus>(`${study(id)}/report`),
    buildReport: (id: number) => http.json<ReportStatus>(`${study(id)}/report/build`, { method: "POST" }),
    qrUrl: (id: number) => `${study(id)}/qr.svg`,
    exportUrl: (id: number, table: "answers" | "participants", format: "csv" | "json") => `${study(id)}/export/${table}.${format}`,
    codebookUrl: (id: number) => `${study(id)}/export/codebook`,
    items: () => http.json<Item[]>(`${base}/items`),
    editItem: (id: number, data: ItemData) => http.json<Item>(`${base}/items/${id}`, { method: "PUT", body: data }),
    itemsExportUrl: (format: "json" | "csv") => `${base}/items/export.${format}`,
    importItems: (text: string, contentType: "application/json" | "text/csv") =>
      http.json<{ created: number; updated: number }>(`${base}/items/import`, { method: "POST", raw: { text, contentType } }),
  };
}

export type InstructorApi = ReturnType<typeof createInstructorApi>;
