/**
 * The model and version in the header; a choice among the models the instructor published
 * (src/model/published.ts) once there is more than one (every view is laid out from the
 * chosen model's own graph).
 */
import { useQuery } from "@tanstack/react-query";
import type { ExplorerQueries } from "../api/explorerQueries";
import { modelChoices, type Choice } from "./published";

interface ModelChoiceProps {
  queries: ExplorerQueries;
  name: string;
  version: number;
  onChoose: (name: string) => void;
}

export function ModelChoice({ queries, name, version, onChoose }: ModelChoiceProps) {
  // Without the gateway's list the header just names the model: nothing to report.
  const served = useQuery(queries.models()).data;
  const published = useQuery(queries.published());
  const choices: Choice[] =
    served && published.isSuccess ? modelChoices(served, published.data, name) : [];
  const title = choices.find((choice) => choice.name === name)?.title ?? name;
  if (choices.length < 2) {
    return (
      <p className="app-model" data-testid="model-version" data-model={name}>
        Model {title}, version {version}
      </p>
    );
  }
  return (
    <p className="app-model">
      <label>
        Model{" "}
        <select
          value={name}
          onChange={(event) => onChoose(event.target.value)}
          data-testid="model-select"
        >
          {choices.map((choice) => (
            <option key={choice.name} value={choice.name}>
              {choice.title}
            </option>
          ))}
        </select>
      </label>
      <span data-testid="model-version">, version {version}</span>
    </p>
  );
}
