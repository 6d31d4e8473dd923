/**
 * The lesson's title line at the top of the explorer, or, for a link whose lesson cannot be
 * read, a notice that the whole explorer is shown instead (the student still gets a page).
 */
import type { LessonRead } from "./lesson";
import "./lesson.css";

export function LessonBanner({ read }: { read: LessonRead }) {
  if (read.problem !== null) {
    return (
      <p className="lesson-problem" role="status" data-testid="lesson-problem">
        {read.problem}, so you see the whole explorer. Ask your teacher for the link again.
      </p>
    );
  }
  if (!read.lesson || read.lesson.title === "") return null;
  return (
    <p className="lesson-title" data-testid="lesson-title">
      {read.lesson.title}
    </p>
  );
}
