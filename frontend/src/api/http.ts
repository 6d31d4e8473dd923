/**
 * The one HTTP client of every page (explorer, study, instructor's dashboard, model studio,
 * presenter mode): same origin, relative `/api/...` URLs, the session cookie sent along.
 *
 * - Each attempt has a timeout (a hung connection is a failure, not a page that waits forever).
 * - A 503 (a service restarting; the gateway sends Retry-After), a failed connection or a
 *   timeout is retried after `retryDelaySeconds` (Retry-After, at least a 1, 2, 4, 8, 10 s
 *   backoff) up to `maxAttempts`; the page is told before each wait (`onRetry`) and once no
 *   request waits any more (`onSettled`), for its "trying again" message. Other errors are
 *   final. A request that must not be sent twice says `retry: false`.
 * - Every error is an ApiError: the service's `{"error": {"code", "message"}}`, or a plain
 *   message when there is no such body (a proxy's page, no connection).
 */
import {
  ApiError,
  errorFromResponse,
  networkError,
  retryDelaySeconds,
  timeoutError,
} from "./errors";

export interface RetryNotice {
  error: ApiError;
  /** 1 for the first retry. */
  attempt: number;
  waitSeconds: number;
}

export interface HttpOptions {
  fetch?: typeof fetch;
  sleep?: (seconds: number) => Promise<void>;
  /** Attempts per request, the first included; `Infinity` waits for the server as long as the page is open. */
  maxAttempts?: number;
  /** Milliseconds an attempt may take before it counts as failed (default 60 s). */
  timeoutMs?: number;
  /** Told before each automatic retry, so the page can say that it is waiting. */
  onRetry?: (notice: RetryNotice) => void;
  /** Told when no request is waiting to be retried any more (they succeeded or gave up). */
  onSettled?: () => void;
  /** Headers for every request (the student's bearer token), read at each attempt. */
  headers?: () => Record<string, string>;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A JSON body. */
  json?: unknown;
  /** A raw body (CSV, JSON text) sent with its own content type. */
  raw?: { text: string; contentType: string };
  /** A multipart body (uploads). */
  form?: FormData;
  headers?: Record<string, string>;
  /** False: one attempt only (a large upload, a request that must not be repeated). */
  retry?: boolean;
  /** This request's attempt timeout, instead of the client's. */
  timeoutMs?: number;
  /** Abandons the request (and its retries); it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Lets the request outlive the page (the study's last events on page hide). */
  keepalive?: boolean;
}

/** A server answering in a classroom takes seconds; its own calls to a service time out at 15–30 s. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** The abort reason of an attempt that took too long (told apart from the caller's abort). */
const TIMED_OUT = new Error("The attempt took too long.");

const defaultSleep = (seconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException("The request was abandoned.", "AbortError");
}

/** Waits `seconds`, or less when `signal` aborts (then rejects). */
function sleepUnless(
  sleep: (seconds: number) => Promise<void>,
  seconds: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!signal) return sleep(seconds);
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    sleep(seconds).then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function createHttp(options: HttpOptions = {}) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = options.maxAttempts ?? 20;
  // Requests between a failure and their retry's outcome: the page's "trying again" message
  // stays while any is left, whichever request (a prefetch, the model list) failed.
  const waiting = new Set<object>();

  function init(request: RequestOptions, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = { ...options.headers?.(), ...request.headers };
    let body: BodyInit | undefined;
    if (request.form) {
      body = request.form; // the browser writes the multipart boundary into Content-Type
    } else if (request.raw) {
      headers["Content-Type"] = request.raw.contentType;
      body = request.raw.text;
    } else if (request.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(request.json);
    }
    return {
      method: request.method ?? "GET",
      headers,
      body,
      credentials: "same-origin",
      signal,
      ...(request.keepalive ? { keepalive: true } : {}),
    };
  }

  /** One attempt: the response when it is OK, else the ApiError it amounts to. */
  async function attempt(url: string, request: RequestOptions): Promise<Response | ApiError> {
    const caller = request.signal;
    if (caller?.aborted) throw abortReason(caller);
    const controller = new AbortController();
    const onAbort = () => controller.abort(caller ? abortReason(caller) : undefined);
    caller?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(TIMED_OUT),
      request.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    try {
      const response = await doFetch(url, init(request, controller.signal));
      return response.ok ? response : await errorFromResponse(response);
    } catch {
      if (controller.signal.reason === TIMED_OUT) return timeoutError();
      if (caller && controller.signal.aborted) throw abortReason(caller);
      return networkError();
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onAbort);
    }
  }

  async function attempts(url: string, request: RequestOptions, ticket: object): Promise<Response> {
    const limit = request.retry === false ? 1 : maxAttempts;
    for (let number = 1; ; number += 1) {
      const outcome = await attempt(url, request);
      if (outcome instanceof Response) return outcome;
      const retryable = outcome.status === 503 || outcome.status === 0;
      if (!retryable || number >= limit) throw outcome;
      const waitSeconds = retryDelaySeconds(number, outcome.retryAfter);
      waiting.add(ticket);
      options.onRetry?.({ error: outcome, attempt: number, waitSeconds });
      await sleepUnless(sleep, waitSeconds, request.signal);
    }
  }

  /** The response of a successful attempt; an ApiError (or the signal's reason) otherwise. */
  async function request(url: string, request: RequestOptions = {}): Promise<Response> {
    const ticket = {};
    try {
      return await attempts(url, request, ticket);
    } finally {
      if (waiting.delete(ticket) && waiting.size === 0) options.onSettled?.();
    }
  }

  /** The parsed JSON body (asked for with `Accept: application/json`), or undefined for a 204. */
  async function json<T>(url: string, options: RequestOptions = {}): Promise<T> {
    const response = await request(url, {
      ...options,
      headers: { Accept: "application/json", ...options.headers },
    });
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The body's bytes (bundles, weights). */
  async function bytes(url: string, options: RequestOptions = {}): Promise<ArrayBuffer> {
    return (await request(url, options)).arrayBuffer();
  }

  return { request, json, bytes };
}

export type Http = ReturnType<typeof createHttp>;

/** `["models", name]` → `models/tiny_vgg`: each part of a path encoded on its own. */
export function pathOf(...parts: (string | number)[]): string {
  return parts.map((part) => encodeURIComponent(String(part))).join("/");
}
