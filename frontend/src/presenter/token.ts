/** Where the presenter's token is kept: in this browser only, never in the URL (it would be projected and shared). */

const TOKEN_KEY = (code: string) => `cnn101:presenter:${code}`;

export function rememberToken(code: string, token: string): void {
  window.localStorage.setItem(TOKEN_KEY(code), token);
}

export function tokenFor(code: string): string | null {
  return window.localStorage.getItem(TOKEN_KEY(code));
}

export function forgetToken(code: string): void {
  window.localStorage.removeItem(TOKEN_KEY(code));
}
