/** The gateway's presenter-mode endpoints (docs/presenter.md), typed. */
import { ApiError } from "./errors";
import { createHttp, pathOf, type Http } from "./http";
import type { GatewaySchemas } from "./schemas";

export type Started = GatewaySchemas["PresentationCreated"];
export type Info = GatewaySchemas["PresentationPublic"];
/** What followers apply: the explorer's URL state plus the open tab (presenter/shared.ts). */
export type SharedState = GatewaySchemas["SharedState"];

// One attempt each: a state that did not arrive is sent again with the next change, and the
// follower count is asked again a few seconds later; a page waiting here would be stale.
let client: Http | null = null;
const http = () => (client ??= createHttp({ maxAttempts: 1 }));

const presentation = (code: string) => `/api/presentations/${pathOf(code)}`;

/** Start presenting (the instructor's session cookie goes along, same origin). */
export function startPresentation(): Promise<Started> {
  return http().json<Started>("/api/presentations", { method: "POST" });
}

/** Push a state; the number following now. */
export async function sendState(code: string, token: string, state: SharedState): Promise<number> {
  const changed = await http().json<GatewaySchemas["StateChanged"]>(`${presentation(code)}/state`, {
    method: "PUT",
    json: state,
    headers: { "X-Presenter-Token": token },
  });
  return changed.followers;
}

/** The presentation, or null when it is over (404). */
export async function presentationInfo(code: string): Promise<Info | null> {
  try {
    return await http().json<Info>(presentation(code));
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 404) return null;
    throw caught;
  }
}

/** Ends it; a presentation that could not be told ends by itself after a while. */
export async function endPresentation(code: string, token: string): Promise<void> {
  await http()
    .request(presentation(code), { method: "DELETE", headers: { "X-Presenter-Token": token } })
    .catch(() => undefined);
}

export function eventsUrl(code: string): string {
  return `${presentation(code)}/events`;
}
