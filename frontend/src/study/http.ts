/**
 * JSON over fetch for the study pages (student and instructor), same origin as the gateway.
 * 503s and network failures are retried (the gateway says when); other errors are final and
 * carry the service's `{"error": {"code", "message"}}` as an ApiError.
 */
import { ApiError, errorFromResponse, networkError } from "../api/errors";

export { ApiError };

export interface HttpOptions {
  fetch?: typeof fetch;
  sleep?: (seconds: number) => Promise<void>;
  maxAttempts?: number;
  /** Told before each automatic retry, so the page can say that it is waiting. */
  onRetry?: (error: ApiError, waitSeconds: number) => void;
  /** Extra headers for every request (the student's bearer token). */
  headers?: () => Record<string, string>;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** A raw body (CSV, JSON text) sent with its own content type. */
  raw?: { text: string; contentType: string };
}

const defaultSleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

export function createHttp(options: HttpOptions = {}) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = options.maxAttempts ?? 20;

  async function send(url: string, request: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers?.() };
    let body: string | undefined;
    if (request.raw) {
      headers["Content-Type"] = request.raw.contentType;
      body = request.raw.text;
    } else if (request.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(request.body);
    }
    const init: RequestInit = { method: request.method ?? "GET", headers, body, credentials: "same-origin" };
    for (let attempt = 1; ; attempt += 1) {
      let error: ApiError;
      try {
        const response = await doFetch(url, init);
        if (response.ok) return response;
        error = await errorFromResponse(response);
        if (response.status !== 503) throw error;
      } catch (caught) {
        if (caught instanceof ApiError) throw caught;
        error = networkError();
      }
      if (attempt >= maxAttempts) throw error;
      const waitSeconds = error.retryAfter ?? 3;
      options.onRetry?.(error, waitSeconds);
      await sleep(waitSeconds);
    }
  }

  /** The parsed JSON body, or undefined for 204. */
  async function json<T>(url: string, request: RequestOptions = {}): Promise<T> {
    const response = await send(url, request);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  return { send, json };
}

export type Http = ReturnType<typeof createHttp>;

/** A message for any thrown value, for the page's alert line. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
