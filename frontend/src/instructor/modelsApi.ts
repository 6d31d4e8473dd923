/**
 * The model studio's endpoints (`/api/instructor/models`, `/datasets`, `/models/jobs`), typed.
 *
 * Answers are decoded rather than cast: a field the backend leaves out (or a newer backend
 * adds) must not crash the dashboard in the middle of a lesson, so missing values get
 * defaults and a body that is not the expected shape is a readable error.
 */
import { ApiError, errorFromResponse, networkError } from "../api/errors";
import { createHttp, type HttpOptions } from "../study/http";

export type ModelSource = "builtin" | "trained" | "imported";

export interface ModelEntry {
  name: string;
  title: string;
  versions: number[];
  latest: number;
  source: ModelSource;
  classes: string[];
  /** On the model's own validation split, 0..1; null when unknown (an imported model). */
  accuracy: number | null;
  published: boolean;
  /** Markdown model card of the latest version ("" when there is none). */
  card: string;
  created_at: string;
}

export interface ModelCatalogue {
  default: string;
  models: ModelEntry[];
}

export interface DatasetClass {
  name: string;
  images: number;
}

export interface Dataset {
  dataset_id: string;
  classes: DatasetClass[];
  images: number;
  warnings: string[];
  created_at: string;
}

export interface TrainConfig {
  name: string;
  title?: string;
  dataset: string;
  blocks: number;
  convs_per_block: number;
  filters: number;
  kernel_size: number;
  input_size: number;
  epochs: number;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
}

export interface Job {
  job_id: string;
  kind: "train" | "import";
  name: string;
  status: JobStatus;
  config: Record<string, unknown>;
  progress: { epoch: number; epochs: number; history: EpochRecord[] };
  error: string | null;
  result: { name: string; version: number; accuracy: number | null } | null;
  created_at: string;
  finished_at: string | null;
}

export const JOB_STATUSES: readonly JobStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];
export const ACTIVE_STATUSES: readonly JobStatus[] = ["queued", "running"];
export const isActive = (job: Pick<Job, "status">) => ACTIVE_STATUSES.includes(job.status);

/* ----- decoding ----- */

type Json = Record<string, unknown>;

function shapeError(what: string): ApiError {
  return new ApiError(0, "bad_response", `The server's answer about ${what} was not understood; reload the page.`);
}

function object(value: unknown, what: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw shapeError(what);
  return value as Json;
}

const str = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const num = (value: unknown, fallback = 0): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);
const numOrNull = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const oneOf = <T extends string>(value: unknown, options: readonly T[], fallback: T): T =>
  options.includes(value as T) ? (value as T) : fallback;

export function decodeModelEntry(value: unknown): ModelEntry {
  const raw = object(value, "a model");
  const name = str(raw.name);
  if (!name) throw shapeError("a model");
  const versions = list(raw.versions).filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
  return {
    name,
    title: str(raw.title) || name,
    versions,
    latest: num(raw.latest, versions.at(-1) ?? 0),
    source: oneOf(raw.source, ["builtin", "trained", "imported"] as const, "trained"),
    classes: list(raw.classes).map((c) => String(c)),
    accuracy: numOrNull(raw.accuracy),
    published: raw.published === true,
    card: str(raw.card),
    created_at: str(raw.created_at),
  };
}

export function decodeCatalogue(value: unknown): ModelCatalogue {
  const raw = object(value, "the models");
  if (!Array.isArray(raw.models)) throw shapeError("the models");
  return { default: str(raw.default, "tiny_vgg"), models: raw.models.map(decodeModelEntry) };
}

function decodeClasses(value: unknown): DatasetClass[] {
  return list(value).map((entry) => {
    const raw = object(entry, "a class of the data set");
    return { name: str(raw.name), images: num(raw.images) };
  });
}

export function decodeDataset(value: unknown): Dataset {
  const raw = object(value, "the data set");
  const id = str(raw.dataset_id);
  if (!id) throw shapeError("the data set");
  const classes = decodeClasses(raw.classes);
  return {
    dataset_id: id,
    classes,
    images: num(raw.images, classes.reduce((sum, c) => sum + c.images, 0)),
    warnings: list(raw.warnings).map((w) => String(w)),
    created_at: str(raw.created_at),
  };
}

function decodeEpoch(value: unknown): EpochRecord | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as Json;
  const epoch = numOrNull(raw.epoch);
  if (epoch === null) return null;
  return {
    epoch,
    loss: num(raw.loss, Number.NaN),
    accuracy: num(raw.accuracy, Number.NaN),
    val_loss: num(raw.val_loss, Number.NaN),
    val_accuracy: num(raw.val_accuracy, Number.NaN),
  };
}

export function decodeJob(value: unknown): Job {
  const raw = object(value, "a job");
  const id = str(raw.job_id);
  if (!id) throw shapeError("a job");
  const progress = typeof raw.progress === "object" && raw.progress !== null ? (raw.progress as Json) : {};
  const history = list(progress.history).map(decodeEpoch).filter((e): e is EpochRecord => e !== null).sort((a, b) => a.epoch - b.epoch);
  const config = typeof raw.config === "object" && raw.config !== null ? (raw.config as Json) : {};
  let result: Job["result"] = null;
  if (typeof raw.result === "object" && raw.result !== null) {
    const r = raw.result as Json;
    result = { name: str(r.name, str(raw.name)), version: num(r.version), accuracy: numOrNull(r.accuracy) };
  }
  return {
    job_id: id,
    kind: oneOf(raw.kind, ["train", "import"] as const, "train"),
    name: str(raw.name),
    status: oneOf(raw.status, JOB_STATUSES, "queued"),
    config,
    progress: {
      epoch: num(progress.epoch, history.at(-1)?.epoch ?? 0),
      epochs: num(progress.epochs, num(config.epochs)),
      history,
    },
    error: typeof raw.error === "string" && raw.error ? raw.error : null,
    result,
    created_at: str(raw.created_at),
    finished_at: typeof raw.finished_at === "string" ? raw.finished_at : null,
  };
}

/* ----- client-side checks before an upload ----- */

/**
 * Sanity bounds only: the server's limits are configurable (10 MB each by default) and it
 * answers 413 with its own message, which the forms show. These spare a long upload of a
 * file no configuration would take.
 */
export const MAX_DATASET_BYTES = 100 * 1024 * 1024;
export const MAX_IMPORT_BYTES = 100 * 1024 * 1024;

/** Why a file cannot be a data set zip, or null when it may be sent. */
export function datasetFileProblem(file: { name: string; size: number; type: string }): string | null {
  const zipType = ["application/zip", "application/x-zip-compressed", "application/x-zip", ""].includes(file.type);
  if (!file.name.toLowerCase().endsWith(".zip") || !zipType) return `${file.name} is not a .zip file: make a zip with one folder per class.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > MAX_DATASET_BYTES) return `${file.name} is ${megabytes(file.size)}; the limit is ${megabytes(MAX_DATASET_BYTES)}.`;
  return null;
}

/**
 * Why these files cannot be a model to import: one .keras or .h5, or model.json with its
 * .bin shards (either with an optional labels .txt, as the server takes).
 */
export function importFilesProblem(files: readonly { name: string; size: number }[]): string | null {
  if (files.length === 0) return "Choose the model's file(s).";
  const names = files.map((f) => f.name.toLowerCase()).filter((n) => !n.endsWith(".txt"));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > MAX_IMPORT_BYTES) return `The files are ${megabytes(total)} together; the limit is ${megabytes(MAX_IMPORT_BYTES)}.`;
  if (new Set(files.map((f) => f.name)).size !== files.length) return "Two of the files have the same name.";
  const keras = names.filter((n) => n.endsWith(".keras") || n.endsWith(".h5"));
  if (keras.length > 0) {
    return names.length === 1 ? null : "Choose a single .keras or .h5 file on its own.";
  }
  const jsons = names.filter((n) => n.endsWith(".json"));
  if (jsons.length !== 1) return "Choose one .keras or .h5 file, or a model.json with its .bin weight files.";
  const others = names.filter((n) => !n.endsWith(".json") && !n.endsWith(".bin"));
  if (others.length > 0) return `${others[0] ?? ""} is neither model.json nor a .bin weight file.`;
  if (names.length === 1) return "Add the .bin weight files that belong to model.json (choose them together).";
  return null;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/* ----- the client ----- */

export function createModelsApi(options: HttpOptions = {}) {
  const http = createHttp({ ...options, maxAttempts: 3 });
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const base = "/api/instructor";
  const job = (id: string) => `${base}/models/jobs/${encodeURIComponent(id)}`;

  /** Multipart uploads are not retried: a refused file stays refused, and a big body is not sent twice. */
  async function upload(url: string, form: FormData): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(url, { method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch {
      throw networkError();
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response.json();
  }

  return {
    models: async () => decodeCatalogue(await http.json<unknown>(`${base}/models`)),
    setPublished: async (name: string, published: boolean) =>
      decodeModelEntry(await http.json<unknown>(`${base}/models/${encodeURIComponent(name)}/published`, { method: "PUT", body: { published } })),
    datasets: async () => list(object(await http.json<unknown>(`${base}/datasets`), "the data sets").datasets).map(decodeDataset),
    uploadDataset: async (file: File) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return decodeDataset(await upload(`${base}/datasets`, form));
    },
    train: async (config: TrainConfig) => decodeJob(await http.json<unknown>(`${base}/models/train`, { method: "POST", body: config })),
    importModel: async (fields: { name: string; title?: string; classes?: string; files: File[] }) => {
      const form = new FormData();
      form.append("name", fields.name);
      if (fields.title) form.append("title", fields.title);
      if (fields.classes) form.append("classes", fields.classes);
      for (const file of fields.files) form.append("files", file, file.name);
      return decodeJob(await upload(`${base}/models/import`, form));
    },
    jobs: async () => list(object(await http.json<unknown>(`${base}/models/jobs`), "the jobs").jobs).map(decodeJob),
    job: async (id: string) => decodeJob(await http.json<unknown>(job(id))),
    cancel: async (id: string) => decodeJob(await http.json<unknown>(`${job(id)}/cancel`, { method: "POST" })),
  };
}

export type ModelsApi = ReturnType<typeof createModelsApi>;
