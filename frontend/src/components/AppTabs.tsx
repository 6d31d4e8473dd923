/**
 * Explorer or playground. The tab is part of the URL state (`?tab=playground`, url/state.ts);
 * a lesson may leave only one tab, and then there is no tab bar at all.
 */
import type { KeyboardEvent } from "react";
import type { Tab } from "../url/state";

export type { Tab };

export const TABS: { id: Tab; label: string }[] = [
  { id: "explorer", label: "Explorer" },
  { id: "playground", label: "Playground" },
];

/** The tab bar of the tabs shown (all by default); none when only one is. */
export function AppTabs({
  tab,
  onChange,
  shown = TABS.map((entry) => entry.id),
}: {
  tab: Tab;
  onChange: (tab: Tab) => void;
  shown?: readonly Tab[];
}) {
  const tabs = TABS.filter((entry) => shown.includes(entry.id));
  // The tablist pattern: arrows move between tabs, and focus follows.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    const next = tabs[(tabs.findIndex((entry) => entry.id === tab) + 1) % tabs.length];
    if (!next) return;
    onChange(next.id);
    event.currentTarget.querySelector<HTMLElement>(`#tab-${next.id}`)?.focus();
  };
  if (tabs.length < 2) return null;
  return (
    <div className="app-tabs" role="tablist" aria-label="Views" onKeyDown={onKeyDown}>
      {tabs.map(({ id, label }) => (
        <button
          key={id}
          type="button"
          role="tab"
          id={`tab-${id}`}
          aria-selected={tab === id}
          tabIndex={tab === id ? 0 : -1}
          onClick={() => onChange(id)}
          data-testid={`tab-${id}`}
        >
          {label}
        </button>
      ))}
    </div>
  );
}
