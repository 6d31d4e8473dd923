/**
 * The model and version in the header; a choice among the models the instructor published
 * (src/model/published.ts) once there is more than one (every view is laid out from the
 * chosen model's own graph).
 */
import { useEffect, useState } from "react";
import type { Client } from "../api/client";
import { fetchPublished, modelChoices, type Choice, type PublishedList } from "./published";

interface ModelChoiceProps {
  client: Client;
  name: string;
  version: number;
  onChoose: (name: string) => void;
}

export function ModelChoice({ client, name, version, onChoose }: ModelChoiceProps) {
  const [lists, setLists] = useState<{ served: Awaited<ReturnType<Client["models"]>>; published: PublishedList | null } | null>(null);
  useEffect(() => {
    const run = { live: true };
    // Without the gateway's list the header just names the model: nothing to report.
    Promise.all([client.models(), fetchPublished()])
      .then(([served, published]) => run.live && setLists({ served, published }))
      .catch(() => undefined);
    return () => { run.live = false; };
  }, [client]);

  const choices: Choice[] = lists ? modelChoices(lists.served, lists.published, name) : [];
  const title = choices.find((choice) => choice.name === name)?.title ?? name;
  if (choices.length < 2) {
    return <p className="app-model" data-testid="model-version" data-model={name}>Model {title}, version {version}</p>;
  }
  return (
    <p className="app-model">
      <label>
        Model{" "}
        <select value={name} onChange={(event) => onChoose(event.target.value)} data-testid="model-select">
          {choices.map((choice) => <option key={choice.name} value={choice.name}>{choice.title}</option>)}
        </select>
      </label>
      <span data-testid="model-version">, version {version}</span>
    </p>
  );
}
