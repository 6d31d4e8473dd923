/**
 * The student's token and the consent text, kept in localStorage so a reload (or a closed
 * tab) resumes where the student was. The token is the only thing that identifies them.
 */
const TOKEN_KEY = "cnn101.study.token";
const JOINED_KEY = "cnn101.study.joined";

export interface Joined {
  token: string;
  studyTitle: string;
  consentText: string;
}

export function loadJoined(): Joined | null {
  try {
    const token = localStorage.getItem(TOKEN_KEY);
    const extra = JSON.parse(localStorage.getItem(JOINED_KEY) ?? "{}") as Partial<Joined>;
    if (token === null) return null;
    return { token, studyTitle: extra.studyTitle ?? "", consentText: extra.consentText ?? "" };
  } catch {
    return null;
  }
}

export function saveJoined(joined: Joined): void {
  localStorage.setItem(TOKEN_KEY, joined.token);
  localStorage.setItem(
    JOINED_KEY,
    JSON.stringify({ studyTitle: joined.studyTitle, consentText: joined.consentText }),
  );
}

export function forgetJoined(): void {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(JOINED_KEY);
}
