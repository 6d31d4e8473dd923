/** The dashboard's "Present" action: start a presentation, then open the explorer presenting it. */
import { useState } from "react";
import { startPresentation } from "../api/presentations";
import { rememberToken } from "./token";

export function PresentButton() {
  const [problem, setProblem] = useState<string | null>(null);
  const present = () => {
    setProblem(null);
    // The token goes to localStorage (token.ts), the code into the URL the class may see.
    startPresentation().then(
      (started) => {
        rememberToken(started.code, started.presenter_token);
        window.location.assign(`/?present=${started.code}`);
      },
      (error: unknown) =>
        setProblem(error instanceof Error ? error.message : "The presentation did not start."),
    );
  };
  return (
    <>
      <button
        type="button"
        onClick={present}
        data-testid="present"
        title="Open the explorer; students who follow see what you select"
      >
        Present
      </button>
      {problem && (
        <span className="status status-error" role="alert">
          {problem}
        </span>
      )}
    </>
  );
}
