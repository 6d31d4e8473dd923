/**
 * Every service's refusal (`{"error": {"code", "message"}}`, services/common/errors.py) as a
 * value the pages can show: the message is written for the person at the screen.
 */
import type { GatewaySchemas } from "./schemas";

/** The body of every error response, as the services' OpenAPI documents describe it. */
export type ErrorBody = GatewaySchemas["ErrorBody"];

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

/** The error shape's detail, when the body has one with a message (the code may be missing). */
function errorDetail(body: unknown): { code: unknown; message: string } | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const error = body.error as Partial<Record<keyof ErrorBody["error"], unknown>> | null;
  if (typeof error !== "object" || error === null || typeof error.message !== "string") return null;
  return { code: error.code, message: error.message };
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
  const detail = errorDetail(body);
  if (detail !== null) {
    const code = typeof detail.code === "string" ? detail.code : `http_${response.status}`;
    return new ApiError(response.status, code, detail.message, retryAfter);
  }
  const message =
    FALLBACK[response.status] ?? `The server answered with an error (${response.status}).`;
  return new ApiError(response.status, `http_${response.status}`, message, retryAfter);
}

export function networkError(): ApiError {
  return new ApiError(
    0,
    "network",
    "The CNN 101 server cannot be reached. Check the network; the page will try again.",
  );
}

/** An attempt that got no answer in time (a hung connection): retried like a network failure. */
export function timeoutError(): ApiError {
  return new ApiError(
    0,
    "timeout",
    "The CNN 101 server is taking too long to answer; the page will try again.",
  );
}

/** A message for any thrown value, for a page's alert line. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
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
  if (error.code === "timeout") return "The CNN 101 server is slow to answer.";
  if (error.status === 0)
    return "The CNN 101 server cannot be reached: it may be restarting, or the network is down.";
  return "The server is busy or restarting.";
}
