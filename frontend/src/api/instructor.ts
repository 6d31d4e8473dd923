/** The instructor's study endpoints (`/api/instructor/*`, evaluation/README.md), typed. */
import { createHttp, pathOf, type HttpOptions } from "./http";
import type { Narrow, StudySchemas } from "./schemas";

export type Instructor = StudySchemas["InstructorPublic"];
export type StudyStatus = "draft" | "open" | "closed";
export type Study = Narrow<StudySchemas["StudyPublic"], { status: StudyStatus }>;
export type StudyFields = StudySchemas["StudyCreate"];
export type StudyChanges = StudySchemas["StudyUpdate"];
export type Progress = StudySchemas["Progress"];
export type ConditionSummary = StudySchemas["ConditionSummary"];
export type Results = StudySchemas["Results"];
export type ItemStatistic = StudySchemas["ItemStatistic"];
export type StudentScore = StudySchemas["StudentScore"];
/** GET /plots: what the results plots draw (evaluation/README.md). */
export type PlotData = StudySchemas["PlotData"];
export type ReportStatus = Narrow<
  StudySchemas["ReportStatus"],
  { status: "queued" | "running" | "done" | "failed" }
>;
export type Item = StudySchemas["ItemStored"];
/** One entry of an audit log (the study's and the studio's have the same shape). */
export type AuditEntry = StudySchemas["AuditEntryPublic"];
export type AuditPage = StudySchemas["AuditPage"];
export type InstructorAccount = StudySchemas["InstructorAccount"];
export type Colleague = StudySchemas["Colleague"];
export type ItemData = StudySchemas["ItemData"];

export function createInstructorApi(options: HttpOptions = {}) {
  const http = createHttp({ maxAttempts: 3, ...options });
  const base = "/api/instructor";
  const study = (id: number) => `${base}/studies/${pathOf(id)}`;
  return {
    /** Who is signed in, or null (200 either way: no error in the console before login). */
    signedIn: async () =>
      (await http.json<StudySchemas["SessionState"]>(`${base}/session`)).instructor,
    login: (email: string, password: string) =>
      http.json<Instructor>(`${base}/login`, {
        method: "POST",
        json: { email, password } satisfies StudySchemas["LoginRequest"],
      }),
    logout: () => http.json<undefined>(`${base}/logout`, { method: "POST" }),
    studies: () => http.json<Study[]>(`${base}/studies`),
    createStudy: (fields: StudyFields) =>
      http.json<Study>(`${base}/studies`, { method: "POST", json: fields }),
    editStudy: (id: number, fields: StudyChanges) =>
      http.json<Study>(study(id), { method: "PATCH", json: fields }),
    shareStudy: (id: number, instructorIds: number[]) =>
      http.json<Study>(`${study(id)}/shares`, {
        method: "PUT",
        json: { instructor_ids: instructorIds } satisfies StudySchemas["StudyShares"],
      }),
    setStatus: (id: number, action: "open" | "close") =>
      http.json<Study>(`${study(id)}/${action}`, { method: "POST" }),
    progress: (id: number) => http.json<Progress>(`${study(id)}/progress`),
    results: (id: number) => http.json<Results>(`${study(id)}/results`),
    plots: (id: number) => http.json<PlotData>(`${study(id)}/plots`),
    /** The latest report build, or null when none was asked for. */
    report: (id: number) => http.json<ReportStatus | null>(`${study(id)}/report`),
    buildReport: (id: number) =>
      http.json<ReportStatus>(`${study(id)}/report/build`, { method: "POST" }),
    qrUrl: (id: number) => `${study(id)}/qr.svg`,
    exportUrl: (
      id: number,
      table: "answers" | "participants" | "allocations" | "events",
      format: "csv" | "json",
    ) => `${study(id)}/export/${table}.${format}`,
    codebookUrl: (id: number) => `${study(id)}/export/codebook`,
    /** The pre-registration written when the study opened (404 for a draft). */
    preregistrationUrl: (id: number) => `${study(id)}/preregistration.json`,
    items: () => http.json<Item[]>(`${base}/items`),
    editItem: (id: number, data: ItemData) =>
      http.json<Item>(`${base}/items/${pathOf(id)}`, { method: "PUT", json: data }),
    /** Take an item out of the bank for new studies (studies that used it keep it). */
    retireItem: (id: number) =>
      http.json<undefined>(`${base}/items/${pathOf(id)}`, { method: "DELETE", retry: false }),
    itemsExportUrl: (format: "json" | "csv") => `${base}/items/export.${format}`,
    changePassword: (currentPassword: string, newPassword: string) =>
      http.json<undefined>(`${base}/password`, {
        method: "POST",
        retry: false,
        json: {
          current_password: currentPassword,
          new_password: newPassword,
        } satisfies StudySchemas["PasswordChange"],
      }),
    instructors: () => http.json<InstructorAccount[]>(`${base}/instructors`),
    /** The other instructors (to share a model with). */
    colleagues: () => http.json<Colleague[]>(`${base}/colleagues`),
    addInstructor: (email: string, password: string) =>
      http.json<InstructorAccount>(`${base}/instructors`, {
        method: "POST",
        retry: false,
        json: { email, password } satisfies StudySchemas["NewInstructor"],
      }),
    /** A page of the study's (`/api/instructor`) or the studio's (`/api/studio`) log. */
    audit: (log: "/api/instructor" | "/api/studio", beforeId: number | null) =>
      http.json<AuditPage>(
        `${log}/audit?limit=100${beforeId === null ? "" : `&before_id=${beforeId}`}`,
      ),
    auditCsvUrl: (log: "/api/instructor" | "/api/studio") => `${log}/audit.csv`,
    importItems: (text: string, contentType: "application/json" | "text/csv") =>
      http.json<StudySchemas["ImportResult"]>(`${base}/items/import`, {
        method: "POST",
        raw: { text, contentType },
      }),
  };
}

export type InstructorApi = ReturnType<typeof createInstructorApi>;

/** The dashboard's query keys (one instructor per page; the cache is cleared at logout). */
export const instructorKeys = {
  me: ["instructor", "me"] as const,
  studies: ["instructor", "studies"] as const,
  progress: (id: number) => ["instructor", "study", id, "progress"] as const,
  results: (id: number) => ["instructor", "study", id, "results"] as const,
  report: (id: number) => ["instructor", "study", id, "report"] as const,
  instructors: ["instructor", "instructors"] as const,
  colleagues: ["instructor", "colleagues"] as const,
};
