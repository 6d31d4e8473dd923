/** The presentation's line above the explorer: presenting, following, left, or a box to join. */
import { useState, type SyntheticEvent } from "react";
import "./presenter.css";
import { normaliseCode } from "./shared";
import type { Presentation } from "./usePresentation";

export function PresenterBanner({ presentation }: { presentation: Presentation }) {
  const { mode, followers, problem } = presentation;
  const [typed, setTyped] = useState("");
  const [invalid, setInvalid] = useState(false);
  const join = (event: SyntheticEvent) => {
    event.preventDefault();
    const code = normaliseCode(typed);
    setInvalid(code === null);
    if (code !== null) presentation.follow(code);
  };
  const problemLine = problem && (
    <span className="presenter-problem" role="alert">
      {problem}
    </span>
  );
  if (mode.kind === "presenting") {
    const count = followers === null ? "" : ` — ${followers} following`;
    return (
      <div
        className="presenter-banner presenter-presenting"
        data-testid="presenter-banner"
        data-mode="presenting"
      >
        <span>
          Presenting <strong data-testid="presentation-code">{mode.code}</strong>
          {count}
        </span>
        <span className="presenter-hint">
          Students open <code>{`${window.location.origin}/?follow=${mode.code}`}</code>
        </span>
        {problemLine}
        <button type="button" onClick={presentation.stop}>
          Stop presenting
        </button>
      </div>
    );
  }
  if (mode.kind === "following") {
    return (
      <div
        className="presenter-banner presenter-following"
        data-testid="presenter-banner"
        data-mode="following"
      >
        <span>Following the teacher ({mode.code})</span>
        {problemLine}
        <button type="button" onClick={presentation.leave} data-testid="explore-alone">
          Explore on my own
        </button>
      </div>
    );
  }
  if (mode.kind === "left" || mode.kind === "ended") {
    return (
      <div className="presenter-banner" data-testid="presenter-banner" data-mode={mode.kind}>
        {mode.kind === "left" ? (
          <span>You are exploring on your own.</span>
        ) : (
          <span>The teacher's presentation has ended.</span>
        )}
        {mode.kind === "left" && (
          <button
            type="button"
            onClick={() => presentation.follow(mode.code)}
            data-testid="follow-again"
          >
            Follow again
          </button>
        )}
      </div>
    );
  }
  return (
    <form className="presenter-join" onSubmit={join} data-testid="follow-form">
      <label>
        Follow the teacher:{" "}
        <input
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
          placeholder="K7P-2QX"
          size={8}
          aria-invalid={invalid}
          data-testid="follow-code"
        />
      </label>
      <button type="submit">Follow</button>
      {invalid && (
        <span className="presenter-problem" role="alert">
          A code is six letters or digits, like K7P-2QX.
        </span>
      )}
    </form>
  );
}
