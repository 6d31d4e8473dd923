/** Loading, retrying and error messages in words a student understands; never a blank page. */
import type { Notice } from "../state/useExplorer";

export function StatusBanner({ notice }: { notice: Notice | null }) {
  if (notice === null) return null;
  return (
    <p className={`status status-${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"} data-testid="status">
      {notice.message}
    </p>
  );
}
