/**
 * The model studio (services/studio/, behind the gateway): the instructor's models, data sets,
 * training and import jobs, publishing, and the students' list of published models.
 *
 * Every path of the studio is in STUDIO_PATHS, so moving its endpoints is a change here only.
 */
import { pathOf, type Http } from "./http";
import type { StudioSchemas } from "./schemas";
import {
  decodeCatalogue,
  decodeDataset,
  decodeJob,
  decodeModelEntry,
  decodePublished,
  listOf,
} from "./studioDecode";

export const STUDIO_PATHS = {
  models: "/api/studio/models",
  published: (name: string) => `/api/studio/models/${pathOf(name)}/published`,
  shares: (name: string) => `/api/studio/models/${pathOf(name)}/shares`,
  datasets: "/api/studio/datasets",
  dataset: (id: string) => `/api/studio/datasets/${pathOf(id)}`,
  train: "/api/studio/models/train",
  import: "/api/studio/models/import",
  jobs: "/api/studio/jobs",
  job: (id: string) => `/api/studio/jobs/${pathOf(id)}`,
  cancel: (id: string) => `/api/studio/jobs/${pathOf(id)}/cancel`,
  /** The students' list: public, no session needed. */
  studentList: "/api/studio/published",
};

export type ModelEntry = StudioSchemas["ModelEntry"];
export type ModelSource = ModelEntry["source"];
export type ModelCatalogue = StudioSchemas["ModelList"];
export type DatasetClass = StudioSchemas["DatasetClass"];
/** A data set: `checking` after its upload, then `ready` (its classes) or `invalid` (why). */
export type Dataset = StudioSchemas["DatasetInfo"];
export type TrainConfig = StudioSchemas["TrainRequest"];
export type Job = StudioSchemas["Job"];
export type JobKind = StudioSchemas["JobKind"];
export type JobStatus = StudioSchemas["JobStatus"];
export type EpochRecord = StudioSchemas["EpochRecord"];
export type PublishedModel = StudioSchemas["StudentModel"];
export type PublishedList = StudioSchemas["StudentModelList"];

export const JOB_STATUSES: readonly JobStatus[] = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
];
export const ACTIVE_STATUSES: readonly JobStatus[] = ["queued", "running"];
export const isActive = (job: Pick<Job, "status">) => ACTIVE_STATUSES.includes(job.status);

/** Large uploads on a classroom network: a data set zip or a model's files. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

/** The instructor's requests; answers are decoded (api/studioDecode.ts), not cast. */
export function createStudioApi(http: Http) {
  /** Multipart uploads are not retried: a refused file stays refused, and a big body is not sent twice. */
  const upload = (url: string, form: FormData) =>
    http.json<unknown>(url, { method: "POST", form, retry: false, timeoutMs: UPLOAD_TIMEOUT_MS });

  return {
    models: async () => decodeCatalogue(await http.json<unknown>(STUDIO_PATHS.models)),
    setPublished: async (name: string, published: boolean) => {
      const body: StudioSchemas["PublishRequest"] = { published };
      return decodeModelEntry(
        await http.json<unknown>(STUDIO_PATHS.published(name), { method: "PUT", json: body }),
      );
    },
    share: async (name: string, instructorIds: number[]) => {
      const body: StudioSchemas["ShareRequest"] = { instructor_ids: instructorIds };
      return decodeModelEntry(
        await http.json<unknown>(STUDIO_PATHS.shares(name), { method: "PUT", json: body }),
      );
    },
    datasets: async () =>
      listOf(await http.json<unknown>(STUDIO_PATHS.datasets), "datasets", "the data sets").map(
        decodeDataset,
      ),
    dataset: async (id: string) =>
      decodeDataset(await http.json<unknown>(STUDIO_PATHS.dataset(id))),
    uploadDataset: async (file: File) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return decodeDataset(await upload(STUDIO_PATHS.datasets, form));
    },
    train: async (config: TrainConfig) =>
      decodeJob(await http.json<unknown>(STUDIO_PATHS.train, { method: "POST", json: config })),
    importModel: async (fields: {
      name: string;
      title?: string;
      classes?: string;
      files: File[];
    }) => {
      const form = new FormData();
      form.append("name", fields.name);
      if (fields.title) form.append("title", fields.title);
      if (fields.classes) form.append("classes", fields.classes);
      for (const file of fields.files) form.append("files", file, file.name);
      return decodeJob(await upload(STUDIO_PATHS.import, form));
    },
    jobs: async () =>
      listOf(await http.json<unknown>(STUDIO_PATHS.jobs), "jobs", "the jobs").map(decodeJob),
    job: async (id: string) => decodeJob(await http.json<unknown>(STUDIO_PATHS.job(id))),
    cancel: async (id: string) =>
      decodeJob(await http.json<unknown>(STUDIO_PATHS.cancel(id), { method: "POST" })),
  };
}

export type StudioApi = ReturnType<typeof createStudioApi>;

/**
 * The models students may choose; one attempt, and null on any failure: the explorer then
 * offers the default model only (model/published.ts), an outage never blocks the page.
 */
export async function fetchPublished(http: Http): Promise<PublishedList | null> {
  try {
    return decodePublished(await http.json<unknown>(STUDIO_PATHS.studentList, { retry: false }));
  } catch {
    return null;
  }
}

/** The dashboard's query keys for the studio. */
export const studioKeys = {
  models: ["studio", "models"] as const,
  datasets: ["studio", "datasets"] as const,
  dataset: (id: string) => ["studio", "dataset", id] as const,
  jobs: ["studio", "jobs"] as const,
  job: (id: string) => ["studio", "job", id] as const,
};
