/**
 * The instructor's account: change the password (the service checks it against the same
 * policy as the command line: 10 characters and a zxcvbn strength estimate, and says why
 * one is refused); the admin also sees every instructor and adds colleagues.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SyntheticEvent } from "react";
import { messageOf } from "../api/errors";
import { instructorKeys, type Instructor, type InstructorApi } from "../api/instructor";

type Outcome = { ok: boolean; text: string } | null;

function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (outcome === null) return null;
  return (
    <p className={`status ${outcome.ok ? "status-ok" : "status-error"}`} role="alert">
      {outcome.text}
    </p>
  );
}

function PasswordForm({ api }: { api: InstructorApi }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (next !== repeat) {
      setOutcome({ ok: false, text: "The two new passwords differ." });
      return;
    }
    setBusy(true);
    api
      .changePassword(current, next)
      .then(
        () => {
          setOutcome({
            ok: true,
            text: "Password changed. Your sessions on other devices have ended.",
          });
          setCurrent("");
          setNext("");
          setRepeat("");
        },
        (caught: unknown) => setOutcome({ ok: false, text: messageOf(caught) }),
      )
      .finally(() => setBusy(false));
  };
  return (
    <form className="form-grid" onSubmit={submit} aria-labelledby="password-title">
      <h3 id="password-title">Change your password</h3>
      <span />
      <label htmlFor="current-password">Current password</label>
      <input
        id="current-password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(event) => setCurrent(event.target.value)}
      />
      <label htmlFor="new-password">New password</label>
      <input
        id="new-password"
        type="password"
        autoComplete="new-password"
        required
        minLength={10}
        aria-describedby="password-rule"
        value={next}
        onChange={(event) => setNext(event.target.value)}
      />
      <label htmlFor="repeat-password">New password again</label>
      <input
        id="repeat-password"
        type="password"
        autoComplete="new-password"
        required
        value={repeat}
        onChange={(event) => setRepeat(event.target.value)}
      />
      <span />
      <p id="password-rule" className="hint">
        At least 10 characters and hard to guess: a few unrelated words work well.
      </p>
      <span />
      <button type="submit" className="primary" disabled={busy}>
        Change password
      </button>
      <span />
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

function Colleagues({ api }: { api: InstructorApi }) {
  const queryClient = useQueryClient();
  const accounts = useQuery({ queryKey: instructorKeys.instructors, queryFn: api.instructors });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    api
      .addInstructor(email, password)
      .then(
        (made) => {
          setOutcome({
            ok: true,
            text: `${made.email} can sign in now; give them the password to change.`,
          });
          setEmail("");
          setPassword("");
          return queryClient.invalidateQueries({ queryKey: instructorKeys.instructors });
        },
        (caught: unknown) => setOutcome({ ok: false, text: messageOf(caught) }),
      )
      .finally(() => setBusy(false));
  };
  return (
    <section aria-labelledby="colleagues-title">
      <h3 id="colleagues-title">Instructors</h3>
      {accounts.error && (
        <p className="status status-error" role="alert">
          {messageOf(accounts.error)}
        </p>
      )}
      <ul data-testid="instructor-accounts">
        {(accounts.data ?? []).map((account) => (
          <li key={account.id}>
            {account.email} <span className="badge">{account.role}</span>
          </li>
        ))}
      </ul>
      <form className="form-grid" onSubmit={submit} aria-label="Add an instructor">
        <label htmlFor="colleague-email">Email</label>
        <input
          id="colleague-email"
          type="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="colleague-password">First password</label>
        <input
          id="colleague-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <span />
        <button type="submit" disabled={busy}>
          Add instructor
        </button>
        <span />
        <OutcomeLine outcome={outcome} />
      </form>
    </section>
  );
}

export function AccountPanel({ api, me }: { api: InstructorApi; me: Instructor }) {
  return (
    <section className="account" aria-labelledby="account-title">
      <h2 id="account-title">Account</h2>
      <p>
        Signed in as <strong>{me.email}</strong> ({me.role === "admin" ? "the admin" : "instructor"}
        ).
      </p>
      <PasswordForm api={api} />
      {me.role === "admin" && <Colleagues api={api} />}
    </section>
  );
}
