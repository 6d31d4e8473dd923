/** Consented to the material only: the explorer and the tutorial, nothing recorded. */
import { useState } from "react";
import { Page } from "./Page";
import { Tutorial } from "./tutorial/Tutorial";

export function FreeUse() {
  const [tutorial, setTutorial] = useState(false);
  return (
    <Page title="Use the material">
      <p>Nothing you do here is recorded. Use either material as long as you like.</p>
      <p>
        <a href="/" target="_blank" rel="noopener">
          Open the CNN 101 explorer
        </a>{" "}
        <button type="button" className="link-button" onClick={() => setTutorial(!tutorial)}>
          {tutorial ? "Hide the tutorial" : "Read the tutorial"}
        </button>
      </p>
      {tutorial && <Tutorial />}
    </Page>
  );
}
