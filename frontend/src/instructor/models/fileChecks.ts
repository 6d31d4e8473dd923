/**
 * Client-side checks before a model-studio upload. Sanity bounds only: the server's limits
 * are configurable (10 MB each by default) and it answers 413 with its own message, which the
 * forms show. These spare a long upload of a file no configuration would take.
 */
export const MAX_DATASET_BYTES = 100 * 1024 * 1024;
export const MAX_IMPORT_BYTES = 100 * 1024 * 1024;

/** Why a file cannot be a data set zip, or null when it may be sent. */
export function datasetFileProblem(file: {
  name: string;
  size: number;
  type: string;
}): string | null {
  const zipType = [
    "application/zip",
    "application/x-zip-compressed",
    "application/x-zip",
    "",
  ].includes(file.type);
  if (!file.name.toLowerCase().endsWith(".zip") || !zipType)
    return `${file.name} is not a .zip file: make a zip with one folder per class.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > MAX_DATASET_BYTES)
    return `${file.name} is ${megabytes(file.size)}; the limit is ${megabytes(MAX_DATASET_BYTES)}.`;
  return null;
}

/**
 * Why these files cannot be a model to import: one .keras or .h5, or model.json with its
 * .bin shards (either with an optional labels .txt, as the server takes).
 */
export function importFilesProblem(
  files: readonly { name: string; size: number }[],
): string | null {
  if (files.length === 0) return "Choose the model's file(s).";
  const names = files.map((f) => f.name.toLowerCase()).filter((n) => !n.endsWith(".txt"));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > MAX_IMPORT_BYTES)
    return `The files are ${megabytes(total)} together; the limit is ${megabytes(MAX_IMPORT_BYTES)}.`;
  if (new Set(files.map((f) => f.name)).size !== files.length)
    return "Two of the files have the same name.";
  const keras = names.filter((n) => n.endsWith(".keras") || n.endsWith(".h5"));
  if (keras.length > 0) {
    return names.length === 1 ? null : "Choose a single .keras or .h5 file on its own.";
  }
  const jsons = names.filter((n) => n.endsWith(".json"));
  if (jsons.length !== 1)
    return "Choose one .keras or .h5 file, or a model.json with its .bin weight files.";
  const others = names.filter((n) => !n.endsWith(".json") && !n.endsWith(".bin"));
  if (others.length > 0) return `${others[0] ?? ""} is neither model.json nor a .bin weight file.`;
  if (names.length === 1)
    return "Add the .bin weight files that belong to model.json (choose them together).";
  return null;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
