/** The gateway's presentation endpoints (docs/presenter.md), and where the presenter's token is kept. */

export interface Started {
  code: string;
  presenter_token: string;
}

export interface Info {
  code: string;
  seq: number;
  followers: number;
}

const TOKEN_KEY = (code: string) => `cnn101:presenter:${code}`;

/** The token stays out of the URL (it would be projected and shared): in this browser only. */
export function rememberToken(code: string, token: string): void {
  window.localStorage.setItem(TOKEN_KEY(code), token);
}

export function tokenFor(code: string): string | null {
  return window.localStorage.getItem(TOKEN_KEY(code));
}

export function forgetToken(code: string): void {
  window.localStorage.removeItem(TOKEN_KEY(code));
}

async function failed(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(body?.error?.message ?? `The server answered ${response.status}.`);
}

/** Start presenting (the instructor's session cookie goes along, same origin). */
export async function startPresentation(): Promise<Started> {
  const response = await fetch("/api/presentations", { method: "POST", credentials: "same-origin" });
  if (!response.ok) throw await failed(response);
  const started = (await response.json()) as Started;
  rememberToken(started.code, started.presenter_token);
  return started;
}

/** Push a state; the number following now. */
export async function sendState(code: string, token: string, state: unknown): Promise<number> {
  const response = await fetch(`/api/presentations/${code}/state`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", "X-Presenter-Token": token },
    body: JSON.stringify(state),
  });
  if (!response.ok) throw await failed(response);
  return ((await response.json()) as { followers: number }).followers;
}

export async function presentationInfo(code: string): Promise<Info | null> {
  const response = await fetch(`/api/presentations/${code}`);
  if (response.status === 404) return null;
  if (!response.ok) throw await failed(response);
  return (await response.json()) as Info;
}

export async function endPresentation(code: string, token: string): Promise<void> {
  await fetch(`/api/presentations/${code}`, { method: "DELETE", headers: { "X-Presenter-Token": token } });
  forgetToken(code);
}

export function eventsUrl(code: string): string {
  return `/api/presentations/${code}/events`;
}
