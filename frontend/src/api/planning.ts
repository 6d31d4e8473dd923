/** Planning a study (`/api/instructor/planning/*`, evaluation/README.md), typed. */
import { createHttp, type HttpOptions } from "./http";
import type { StudySchemas } from "./schemas";

export type PowerPlan = StudySchemas["PowerPlan"];

export function createPlanningApi(options: HttpOptions = {}) {
  const http = createHttp({ maxAttempts: 2, ...options });
  return {
    /** What a class of `students` who take both tests can detect (nothing is stored). */
    power: (students: number) =>
      http.json<PowerPlan>(
        `/api/instructor/planning/power?${new URLSearchParams({ students: String(students) })}`,
      ),
  };
}
