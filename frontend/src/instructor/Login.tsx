/** The instructor's login (the session is an HttpOnly cookie the evaluation service sets). */
import { useState } from "react";
import { messageOf } from "../api/errors";
import type { Instructor, InstructorApi } from "../api/instructor";

export function Login({ api, onLogin }: { api: InstructorApi; onLogin: (me: Instructor) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="instructor login">
      <h1>CNN 101 — instructor</h1>
      <form
        className="form-grid"
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          api
            .login(email, password)
            .then(onLogin, (caught: unknown) => setError(messageOf(caught)))
            .finally(() => setBusy(false));
        }}
      >
        <label htmlFor="email">Email</label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <span />
        <button type="submit" className="primary" disabled={busy}>
          Log in
        </button>
      </form>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
