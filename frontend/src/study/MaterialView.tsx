/**
 * The conventional arm's uploaded material in the learning phase: a lecture video in a
 * `<video controls>` or a PDF in the browser's own viewer (a plain link when it has none),
 * served by this instance from a link signed until the phase ends. What the student does
 * with it is recorded like the explorer's and the tutorial's interactions.
 */
import { useEffect, useRef } from "react";
import type { StudentMaterial } from "../api/material";
import "./material.css";

type Record = (kind: string, payload: { [key: string]: unknown }) => void;

interface Props {
  material: StudentMaterial;
  record: Record;
}

/** The video's position in seconds, to a tenth (what the events carry). */
function position(video: HTMLVideoElement): number {
  return Math.round(video.currentTime * 10) / 10;
}

export function MaterialView({ material, record }: Props) {
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current) return;
    opened.current = true;
    record("material.opened", { kind: material.kind, title: material.title });
  }, [material, record]);

  if (material.kind === "video") {
    const on = (kind: string) => (event: React.SyntheticEvent<HTMLVideoElement>) =>
      record(kind, { position: position(event.currentTarget) });
    return (
      <div className="material material-video">
        <video
          controls
          preload="metadata"
          src={material.url}
          data-testid="material-video"
          aria-label={material.title}
          onPlay={on("material.video_play")}
          onPause={on("material.video_pause")}
          onSeeked={on("material.video_seeked")}
          onEnded={on("material.video_ended")}
        >
          Your browser cannot play this video.
        </video>
        <p className="hint">{material.title}</p>
      </div>
    );
  }
  return (
    <div className="material material-pdf">
      <iframe
        src={material.url}
        title={material.title}
        data-testid="material-pdf"
        onLoad={() => record("material.pdf_opened", { title: material.title })}
      />
      <p className="hint">
        If the document does not appear,{" "}
        <a
          href={material.url}
          target="_blank"
          rel="noreferrer"
          onClick={() => record("material.pdf_link_opened", {})}
        >
          open {material.title} (PDF)
        </a>
        .
      </p>
    </div>
  );
}
