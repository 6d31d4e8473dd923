/**
 * The conventional arm's uploaded material (evaluation/routes/materials.py): the
 * instructor's uploads, a study's choice, and the upload itself, which goes through
 * XMLHttpRequest because fetch cannot report upload progress.
 */
import { ApiError, networkError } from "./errors";
import { createHttp, pathOf, type HttpOptions } from "./http";
import type { StudySchemas } from "./schemas";

export type Material = StudySchemas["MaterialPublic"];
export type StudyMaterialState = StudySchemas["StudyMaterialState"];
export type StudentMaterial = StudySchemas["StudentMaterial"];

const BASE = "/api/instructor";

export function createMaterialApi(options: HttpOptions = {}) {
  const http = createHttp({ maxAttempts: 3, ...options });
  const ofStudy = (id: number) => `${BASE}/studies/${pathOf(id)}/material`;
  return {
    list: () => http.json<Material[]>(`${BASE}/materials`),
    remove: (id: number) =>
      http.json<undefined>(`${BASE}/materials/${pathOf(id)}`, { method: "DELETE" }),
    fileUrl: (id: number) => `${BASE}/materials/${pathOf(id)}/file`,
    ofStudy: (studyId: number) => http.json<StudyMaterialState>(ofStudy(studyId)),
    choose: (studyId: number, materialId: number | null) =>
      http.json<StudyMaterialState>(ofStudy(studyId), {
        method: "PUT",
        json: { material_id: materialId } satisfies StudySchemas["StudyMaterialChoice"],
      }),
  };
}

export type MaterialApi = ReturnType<typeof createMaterialApi>;

/** The service's refusal (status and body text of a finished upload) as an ApiError. */
export function uploadRefusal(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) {
      return new ApiError(status, body.error.code ?? `http_${status}`, body.error.message);
    }
  } catch {
    // not JSON: a proxy's page
  }
  const message =
    status === 413
      ? "The file is too large: a PDF may be 50 MB and a video 500 MB."
      : `The server answered with an error (${status}).`;
  return new ApiError(status, `http_${status}`, message);
}

/**
 * Upload `file` as the raw body (the service checks its type from its content), telling
 * `onProgress` the fraction sent. One attempt: a large upload is not repeated behind the
 * instructor's back.
 */
export function uploadMaterial(
  file: File,
  title: string,
  onProgress: (fraction: number) => void,
): Promise<Material> {
  const query = new URLSearchParams({ title, filename: file.name });
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `${BASE}/materials?${query.toString()}`);
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.setRequestHeader("Accept", "application/json");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 201) resolve(JSON.parse(request.responseText) as Material);
      else reject(uploadRefusal(request.status, request.responseText));
    };
    request.onerror = () => reject(networkError());
    request.send(file);
  });
}

/** "12.3 MB" */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / 1024).toFixed(1)} KB`;
}
