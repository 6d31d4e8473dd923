/** The minimum detectable effect for the class size the instructor expects (issue 18). */
import { useQuery } from "@tanstack/react-query";
import { useDeferredValue, useMemo, useState } from "react";
import { messageOf } from "../api/errors";
import { createPlanningApi } from "../api/planning";

const MIN_STUDENTS = 6;
const MAX_STUDENTS = 10_000;

export function PowerHint() {
  const api = useMemo(() => createPlanningApi(), []);
  const [typed, setTyped] = useState("40");
  const deferred = useDeferredValue(typed);
  const students = Number(deferred);
  const valid = Number.isInteger(students) && students >= MIN_STUDENTS && students <= MAX_STUDENTS;
  const query = useQuery({
    queryKey: ["planning", "power", students],
    queryFn: () => api.power(students),
    enabled: valid,
    staleTime: Infinity,
  });
  return (
    <>
      <label htmlFor="study-expected">Students expected to finish</label>
      <div className="power-hint">
        <input
          id="study-expected"
          type="number"
          // No min/max: an estimate being typed must never block creating the study.
          value={typed}
          aria-describedby="study-power"
          onChange={(event) => setTyped(event.target.value)}
        />
        <p id="study-power" className="hint" aria-live="polite">
          {!valid
            ? `Enter a whole number of students from ${MIN_STUDENTS} to ${MAX_STUDENTS}.`
            : query.error
              ? messageOf(query.error)
              : (query.data?.summary ?? "Estimating…")}
        </p>
      </div>
    </>
  );
}
