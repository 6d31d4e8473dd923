/**
 * Explorer or playground. The tab is not yet part of url/state (that module drops unknown
 * parameters), so `?tab=playground` only opens the playground on load.
 */
import type { KeyboardEvent } from "react";

export type Tab = "explorer" | "playground";

const TABS: { id: Tab; label: string }[] = [
  { id: "explorer", label: "Explorer" },
  { id: "playground", label: "Playground" },
];

export function initialTab(): Tab {
  return new URLSearchParams(window.location.search).get("tab") === "playground" ? "playground" : "explorer";
}

export function AppTabs({ tab, onChange }: { tab: Tab; onChange: (tab: Tab) => void }) {
  // The tablist pattern: arrows move between tabs, and focus follows.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    const next = TABS[(TABS.findIndex((entry) => entry.id === tab) + 1) % TABS.length];
    if (!next) return;
    onChange(next.id);
    event.currentTarget.querySelector<HTMLElement>(`#tab-${next.id}`)?.focus();
  };
  return (
    <div className="app-tabs" role="tablist" aria-label="Views" onKeyDown={onKeyDown}>
      {TABS.map(({ id, label }) => (
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
