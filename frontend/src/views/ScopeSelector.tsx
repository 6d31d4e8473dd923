/** Chooses which neurons share a colour range: a layer unit, a block, or the whole network. */
import { SCOPES, type Scope } from "../math/scopes";

const LABELS: Record<Scope, { name: string; hint: string }> = {
  unit: { name: "Unit", hint: "a convolution and its ReLU share one range" },
  module: { name: "Module", hint: "each block (convolutions up to a pooling) shares one range" },
  global: { name: "Global", hint: "every layer shares one range, so layers can be compared" },
};

export function ScopeSelector({
  scope,
  onChange,
}: {
  scope: Scope;
  onChange: (scope: Scope) => void;
}) {
  return (
    <fieldset className="scope-selector">
      <legend>Colour scale</legend>
      {SCOPES.map((option) => (
        <label key={option} title={LABELS[option].hint}>
          <input
            type="radio"
            name="scope"
            value={option}
            checked={scope === option}
            onChange={() => onChange(option)}
          />
          {LABELS[option].name}
        </label>
      ))}
    </fieldset>
  );
}
