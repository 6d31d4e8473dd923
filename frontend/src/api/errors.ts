/** Gateway errors (`{"error": {"code", "message"}}`) as values the views can show a student. */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds the gateway asked us to wait (503 with Retry-After), if any. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK: Record<number, string> = {
  404: "That was not found on the server.",
  413: "That file is too large.",
  503: "The model is not reachable right now; the page will try again in a moment.",
};

export function retryAfterSeconds(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

function isErrorBody(body: unknown): body is { error: { code: string; message: string } } {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = body.error;
  return typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string";
}

/** Reads an error response; a body in another shape (a proxy's HTML page) gets a plain message. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (isErrorBody(body)) return new ApiError(response.status, body.error.code, body.error.message, retryAfter);
  const message = FALLBACK[response.status] ?? `The server answered with an error (${response.status}).`;
  return new ApiError(response.status, `http_${response.status}`, message, retryAfter);
}

export function networkError(): ApiError {
  return new ApiError(0, "network", "The CNN 101 server cannot be reached. Check the network; the page will try again.", 3);
}
