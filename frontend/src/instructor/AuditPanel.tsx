/**
 * The admin's audit log: who did what, when, from where, and whether it was allowed, in the
 * study service and the model studio, newest first, merged by time. Both logs are
 * append-only; each is exported whole as CSV. The studio's may be away: its part says so.
 */
import { useInfiniteQuery } from "@tanstack/react-query";
import { messageOf } from "../api/errors";
import type { AuditEntry, InstructorApi } from "../api/instructor";
import { mergeLogs } from "./auditMerge";

const LOGS = [
  { path: "/api/instructor", name: "Study" },
  { path: "/api/studio", name: "Model studio" },
] as const;

type LogPath = (typeof LOGS)[number]["path"];

function useLog(api: InstructorApi, path: LogPath) {
  return useInfiniteQuery({
    queryKey: ["instructor", "audit", path],
    queryFn: ({ pageParam }) => api.audit(path, pageParam),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_before_id,
    retry: false,
  });
}

function describe(entry: AuditEntry): string {
  return Object.entries(entry.detail)
    .map(([key, value]) => {
      const shown = Array.isArray(value)
        ? value.map(String).join(", ")
        : typeof value === "object" && value !== null
          ? JSON.stringify(value)
          : String(value);
      return `${key}: ${shown}`;
    })
    .join("; ");
}

export function AuditPanel({ api }: { api: InstructorApi }) {
  const study = useLog(api, "/api/instructor");
  const studio = useLog(api, "/api/studio");
  const logs = [study, studio];
  const { entries, toLoad } = mergeLogs(
    logs.map((log, index) => ({
      name: LOGS[index]?.name ?? "",
      entries: (log.data?.pages ?? []).flatMap((page) => page.entries),
      hasMore: log.hasNextPage && !log.isFetchNextPageError,
    })),
  );
  const loading = logs.some((log) => log.isFetching);
  return (
    <section className="audit" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p className="hint">
        Logins (refused ones too), studies opened and closed, exports, withdrawals, publishes,
        trainings, imports and cancels. Entries cannot be changed or deleted.
      </p>
      <p className="button-row">
        {LOGS.map((log) => (
          <a key={log.path} href={api.auditCsvUrl(log.path)} download>
            Download the {log.name.toLowerCase()} log (CSV)
          </a>
        ))}
      </p>
      {logs.map((log, index) =>
        log.error ? (
          <p key={LOGS[index]?.path} className="status status-error" role="alert">
            {LOGS[index]?.name} log: {messageOf(log.error)}
          </p>
        ) : null,
      )}
      <table className="audit-table" data-testid="audit-table">
        <caption className="visually-hidden">Audit entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Where</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">On</th>
            <th scope="col">From</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr
              key={`${entry.log}-${entry.id}`}
              className={entry.outcome === "refused" ? "audit-refused" : undefined}
              data-action={entry.action}
              data-outcome={entry.outcome}
            >
              <td>
                <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>
              </td>
              <td>{entry.log}</td>
              <td>{entry.actor ?? "—"}</td>
              <td>
                {entry.action}
                {describe(entry) && <span className="hint"> ({describe(entry)})</span>}
              </td>
              <td>{entry.target ?? "—"}</td>
              <td>{entry.client ?? "—"}</td>
              <td>{entry.outcome === "refused" ? <strong>refused</strong> : entry.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 && !loading && <p className="hint">Nothing recorded yet.</p>}
      {loading && <p role="status">Loading…</p>}
      {toLoad.length > 0 && (
        <button
          type="button"
          disabled={loading}
          onClick={() => {
            for (const index of toLoad) void logs[index]?.fetchNextPage();
          }}
        >
          Older entries
        </button>
      )}
    </section>
  );
}
