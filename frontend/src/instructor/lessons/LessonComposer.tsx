/**
 * "Lesson links": the instructor ticks what today's lesson shows, writes a title line, picks
 * where the explorer starts (a pasted explorer link, or whatever the preview shows), and
 * gets a link. The link carries the whole lesson (lesson/lesson.ts), so nothing is stored on
 * the server and a link keeps working for as long as the explorer does.
 */
import { useEffect, useId, useMemo, useRef, useState } from "react";
import {
  FULL_LESSON,
  GROUP_LABELS,
  MAX_TITLE,
  PART_GROUPS,
  PART_LABELS,
  normaliseLesson,
  parseLesson,
  shows,
  type Lesson,
  type Part,
  type PartGroup,
} from "../../lesson/lesson";
import { DEFAULT_STATE, formatUrlState, parseUrlState, type UrlState } from "../../url/state";
import { describeStart, lessonLink, startFromLink } from "./compose";
import "./lessons.css";
import { qrDrawing } from "./qr";

/** The preview reloads once typing pauses this long, not on every key. */
const PREVIEW_DELAY_MS = 600;

/** The message the explorer posts to its parent on every change (url/useUrlState.ts). */
const URL_STATE_MESSAGE = "cnn101:url-state";

export function LessonComposer() {
  const [lesson, setLesson] = useState<Lesson>(FULL_LESSON);
  const [start, setStart] = useState<UrlState>(DEFAULT_STATE);
  const [pasted, setPasted] = useState("");
  const [pasteNote, setPasteNote] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const previewState = useRef<UrlState | null>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  const titleId = useId();

  const link = lessonLink(window.location.origin, start, lesson);
  const qr = useMemo(() => qrDrawing(link), [link]);
  const path = link.slice(window.location.origin.length);
  const [preview, setPreview] = useState(path);
  useEffect(() => {
    const timer = window.setTimeout(() => setPreview(path), PREVIEW_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [path]);

  // The preview (our own explorer) posts its state as the instructor clicks around in it.
  useEffect(() => {
    const onMessage = (message: MessageEvent) => {
      if (
        message.origin !== window.location.origin ||
        message.source !== frame.current?.contentWindow
      )
        return;
      const data = message.data as { type?: unknown; state?: unknown };
      if (data.type !== URL_STATE_MESSAGE || typeof data.state !== "object" || data.state === null)
        return;
      try {
        // Through the one formatter and parser, so only what a link can hold is kept.
        previewState.current = parseUrlState(formatUrlState(data.state as UrlState));
      } catch {
        previewState.current = null;
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, []);

  const toggle = (part: Part, shown: boolean) => {
    const hidden = new Set(lesson.hidden);
    if (shown) hidden.delete(part);
    else hidden.add(part);
    setLesson(normaliseLesson(hidden, lesson.title));
  };

  const startFromPasted = () => {
    const read = startFromLink(pasted, window.location.origin);
    if (read === null) {
      setPasteNote(
        "That is not a link to the explorer: copy the address from the explorer's address bar.",
      );
      return;
    }
    setStart(read.start);
    const fromLink = parseLesson(read.start.lesson);
    if (fromLink.lesson) setLesson(fromLink.lesson);
    setPasteNote(
      `Starting from ${describeStart(read.start)}${fromLink.lesson ? ", with that link's lesson" : ""}.`,
    );
  };

  const setTitle = (title: string) => setLesson({ hidden: lesson.hidden, title });

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("Copied the link.");
    } catch {
      setCopied("Copying is not allowed here: select the link and press Ctrl+C.");
    }
  };

  return (
    <section className="lessons" aria-labelledby="lessons-title">
      <h2 id="lessons-title">Lesson links</h2>
      <p className="hint">
        Hide what today&rsquo;s lesson does not need and share the link. The link carries the whole
        lesson: nothing is stored on the server, and anyone with the link sees the same page.
      </p>
      <div className="lessons-columns">
        <form
          className="lessons-form"
          aria-label="Lesson"
          onSubmit={(event) => event.preventDefault()}
        >
          <label htmlFor={titleId}>Title line (optional)</label>
          <input
            id={titleId}
            type="text"
            maxLength={MAX_TITLE}
            value={lesson.title}
            placeholder="Today: what does a convolution do?"
            onChange={(event) => setTitle(event.target.value)}
          />
          <div className="lessons-groups">
            {(Object.keys(PART_GROUPS) as PartGroup[]).map((group) => (
              <fieldset key={group} className="lessons-group">
                <legend>{GROUP_LABELS[group]}</legend>
                {PART_GROUPS[group].map((part) => {
                  const own = normaliseLesson([...lesson.hidden].filter((other) => other !== part));
                  // Shown only with another part (a detail with its view, one tab at least).
                  const fixed =
                    !shows(own, part) || (part === "explorer" && lesson.hidden.has("playground"));
                  return (
                    <label key={part} className={fixed ? "lessons-fixed" : undefined}>
                      <input
                        type="checkbox"
                        checked={shows(lesson, part)}
                        disabled={fixed}
                        onChange={(event) => toggle(part, event.target.checked)}
                        data-part={part}
                      />{" "}
                      {PART_LABELS[part]}
                    </label>
                  );
                })}
              </fieldset>
            ))}
          </div>
          <fieldset className="lessons-start">
            <legend>Where the explorer starts</legend>
            <p className="hint" data-testid="lesson-start">
              {describeStart(start)}
            </p>
            <label>
              Paste an explorer link to start from its picture and open view
              <input
                type="url"
                value={pasted}
                onChange={(event) => setPasted(event.target.value)}
                placeholder={`${window.location.origin}/?example=…`}
              />
            </label>
            <div className="button-row">
              <button type="button" onClick={startFromPasted} disabled={pasted.trim() === ""}>
                Start from this link
              </button>
              <button
                type="button"
                onClick={() => {
                  const shown = previewState.current;
                  if (!shown) return;
                  // The preview's lesson is the one being made: only its picture and views are taken.
                  setStart({ ...shown, lesson: undefined });
                  setPasteNote(`Starting from what the preview shows: ${describeStart(shown)}.`);
                }}
              >
                Start from what the preview shows
              </button>
              <button
                type="button"
                onClick={() => {
                  setStart(DEFAULT_STATE);
                  setPasteNote(null);
                }}
              >
                Start from the beginning
              </button>
            </div>
            {pasteNote && (
              <p className="hint" role="status">
                {pasteNote}
              </p>
            )}
          </fieldset>
          <div className="lessons-link">
            <label>
              The link
              <input
                type="text"
                readOnly
                value={link}
                onFocus={(event) => event.target.select()}
                data-testid="lesson-link"
              />
            </label>
            <div className="button-row">
              <button type="button" className="primary" onClick={() => void copy()}>
                Copy the link
              </button>
              <a href={link} target="_blank" rel="noreferrer">
                Open it
              </a>
              {copied && <span role="status">{copied}</span>}
            </div>
            {qr ? (
              <svg
                className="lessons-qr"
                viewBox={`0 0 ${qr.size} ${qr.size}`}
                role="img"
                data-testid="lesson-qr"
                aria-label="QR code of the lesson link"
                shapeRendering="crispEdges"
              >
                <rect width={qr.size} height={qr.size} fill="white" />
                <path d={qr.path} fill="black" />
              </svg>
            ) : (
              <p className="hint">This link is too long for a QR code.</p>
            )}
          </div>
        </form>
        <figure className="lessons-preview">
          <figcaption>Preview: what a student sees (you can click around in it)</figcaption>
          <iframe
            ref={frame}
            key={preview}
            src={preview}
            title="Preview of the lesson"
            data-testid="lesson-preview"
          />
        </figure>
      </div>
    </section>
  );
}
