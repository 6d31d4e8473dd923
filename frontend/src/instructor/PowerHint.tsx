/** The minimum detectable effect for the class size the instructor expects (issue 18).
 * The number is the study's `expected_students`: the power plan of its pre-registration. */
import { useQuery } from "@tanstack/react-query";
import { useDeferredValue, useMemo } from "react";
import { messageOf } from "../api/errors";
import { createPlanningApi } from "../api/planning";

export const MIN_STUDENTS = 6;
export const MAX_STUDENTS = 10_000;
/** What the pre-registration assumes when the field is left empty. */
export const DEFAULT_STUDENTS = 40;

/** The class size typed, or null when it is empty or not a whole number in range. */
export function expectedStudents(value: string): number | null {
  const students = Number(value);
  return value.trim() !== "" &&
    Number.isInteger(students) &&
    students >= MIN_STUDENTS &&
    students <= MAX_STUDENTS
    ? students
    : null;
}

interface Props {
  value: string;
  onChange: (value: string) => void;
}

export function PowerHint({ value, onChange }: Props) {
  const api = useMemo(() => createPlanningApi(), []);
  const deferred = useDeferredValue(value);
  const typed = expectedStudents(deferred);
  const students = typed ?? DEFAULT_STUDENTS;
  const valid = deferred.trim() === "" || typed !== null;
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
          // No min/max: an estimate being typed must never block creating the study (one
          // out of range is not sent, and the pre-registration assumes the default).
          value={value}
          placeholder={String(DEFAULT_STUDENTS)}
          aria-describedby="study-power"
          onChange={(event) => onChange(event.target.value)}
        />
        <p id="study-power" className="hint" aria-live="polite">
          {!valid
            ? `Enter a whole number of students from ${MIN_STUDENTS} to ${MAX_STUDENTS} ` +
              `(until then the pre-registration assumes ${DEFAULT_STUDENTS}).`
            : query.error
              ? messageOf(query.error)
              : (query.data?.summary ?? "Estimating…")}{" "}
          {valid &&
            `The pre-registration written when the study opens plans for ${students} students.`}
        </p>
      </div>
    </>
  );
}
