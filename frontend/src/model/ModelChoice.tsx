/**
 * The model and version in the header; a choice of model once the gateway serves more than
 * one (every view is laid out from the chosen model's own graph).
 */
import { useEffect, useState } from "react";
import type { Client, ModelList } from "../api/client";

interface ModelChoiceProps {
  client: Client;
  name: string;
  version: number;
  onChoose: (name: string) => void;
}

export function ModelChoice({ client, name, version, onChoose }: ModelChoiceProps) {
  const [served, setServed] = useState<ModelList["models"]>([]);
  useEffect(() => {
    const run = { live: true };
    // Without the list the header just names the model: nothing to report.
    client.models().then((list) => run.live && setServed(list.models)).catch(() => undefined);
    return () => { run.live = false; };
  }, [client]);

  if (served.length < 2) return <p className="app-model" data-testid="model-version">Model {name}, version {version}</p>;
  return (
    <p className="app-model">
      <label>
        Model{" "}
        <select value={name} onChange={(event) => onChoose(event.target.value)} data-testid="model-select">
          {served.map((model) => <option key={model.name} value={model.name}>{model.name}</option>)}
        </select>
      </label>
      <span data-testid="model-version">, version {version}</span>
    </p>
  );
}
