/**
 * The model studio's answers, decoded rather than cast: a field the backend leaves out (or a
 * newer backend adds) must not crash the dashboard in the middle of a lesson, so missing
 * values get defaults and a body that is not the expected shape is a readable error. The
 * results are the studio's own schemas (api/schemas.ts).
 */
import { ApiError } from "./errors";
import type {
  Dataset,
  DatasetClass,
  EpochRecord,
  Job,
  ModelCatalogue,
  ModelEntry,
  PublishedList,
  PublishedModel,
} from "./studio";

type Json = Record<string, unknown>;

function shapeError(what: string): ApiError {
  return new ApiError(
    0,
    "bad_response",
    `The server's answer about ${what} was not understood; reload the page.`,
  );
}

function object(value: unknown, what: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw shapeError(what);
  return value as Json;
}

const str = (value: unknown, fallback = ""): string =>
  typeof value === "string" ? value : fallback;
const num = (value: unknown, fallback = 0): number =>
  typeof value === "number" && Number.isFinite(value) ? value : fallback;
const numOrNull = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const oneOf = <T extends string>(value: unknown, options: readonly T[], fallback: T): T =>
  options.includes(value as T) ? (value as T) : fallback;

/** `{"<field>": [...]}` → the list (empty when missing); anything but an object is an error. */
export function listOf(value: unknown, field: string, what: string): unknown[] {
  return list(object(value, what)[field]);
}

export function decodeModelEntry(value: unknown): ModelEntry {
  const raw = object(value, "a model");
  const name = str(raw.name);
  if (!name) throw shapeError("a model");
  const versions = list(raw.versions)
    .filter((v): v is number => typeof v === "number")
    .sort((a, b) => a - b);
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
    owner_id: numOrNull(raw.owner_id),
    shared_with: list(raw.shared_with).filter((id): id is number => typeof id === "number"),
    // An older studio did not say: treat the model as not the caller's to manage.
    may_manage: raw.may_manage === true,
    may_share: raw.may_share === true,
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
    filename: str(raw.filename),
    // An older studio checked in the request: what it answered was ready.
    status: oneOf(raw.status, ["checking", "ready", "invalid"] as const, "ready"),
    error: typeof raw.error === "string" && raw.error ? raw.error : null,
    classes,
    images: num(
      raw.images,
      classes.reduce((sum, c) => sum + c.images, 0),
    ),
    warnings: list(raw.warnings).map((w) => String(w)),
    created_at: str(raw.created_at),
    checked_at: typeof raw.checked_at === "string" ? raw.checked_at : null,
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

const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

export function decodeJob(value: unknown): Job {
  const raw = object(value, "a job");
  const id = str(raw.job_id);
  if (!id) throw shapeError("a job");
  const progress =
    typeof raw.progress === "object" && raw.progress !== null ? (raw.progress as Json) : {};
  const history = list(progress.history)
    .map(decodeEpoch)
    .filter((e): e is EpochRecord => e !== null)
    .sort((a, b) => a.epoch - b.epoch);
  const config = typeof raw.config === "object" && raw.config !== null ? (raw.config as Json) : {};
  let result: Job["result"] = null;
  if (typeof raw.result === "object" && raw.result !== null) {
    const r = raw.result as Json;
    result = {
      name: str(r.name, str(raw.name)),
      version: num(r.version),
      accuracy: numOrNull(r.accuracy),
    };
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
    owner_id: numOrNull(raw.owner_id),
  };
}

/** The students' list as sent, or null when it is not in the contract's shape. */
export function decodePublished(value: unknown): PublishedList | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as { default?: unknown; models?: unknown };
  if (!Array.isArray(raw.models)) return null;
  const models: PublishedModel[] = [];
  for (const entry of raw.models as unknown[]) {
    if (typeof entry !== "object" || entry === null) continue;
    const model = entry as Json;
    if (typeof model.name !== "string" || model.name === "") continue;
    models.push({
      name: model.name,
      title: typeof model.title === "string" && model.title !== "" ? model.title : model.name,
      latest: typeof model.latest === "number" ? model.latest : 0,
      classes: Array.isArray(model.classes) ? model.classes.map(String) : [],
      accuracy: typeof model.accuracy === "number" ? model.accuracy : null,
    });
  }
  return { default: typeof raw.default === "string" ? raw.default : "", models };
}
