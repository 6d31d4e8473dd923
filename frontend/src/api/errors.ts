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
  return new ApiError(0, "network", "The CNN 101 server cannot be reached. Check the network; the page will try again.");
}

/** Waits between retries grow 1, 2, 4, 8 s to this cap: a class of 40 asks at most every 10 s each. */
export const MAX_BACKOFF_SECONDS = 10;
/** A Retry-After longer than this is cut short: the page should notice a recovery within a minute. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * Seconds to wait before retry number `attempt` (1 = the first retry): the server's
 * Retry-After when it gives one (bounded), never less than the exponential backoff.
 */
export function retryDelaySeconds(attempt: number, retryAfter: number | null): number {
  const backoff = Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(0, attempt - 1));
  return Math.max(backoff, Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_SECONDS));
}

/** What a student reads while the page waits to retry: why, in plain words (the countdown is added by the banner). */
export function retryReason(error: ApiError): string {
  if (error.status === 0) return "The CNN 101 server cannot be reached: it may be restarting, or the network is down.";
  return "The server is busy or restarting.";
}
