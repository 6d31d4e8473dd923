/** Upload a PDF or a lecture video (MP4/WebM) for the conventional arm, with its progress. */
import { useState } from "react";
import { messageOf } from "../api/errors";
import { uploadMaterial } from "../api/material";

interface Props {
  onUploaded: () => Promise<void>;
}

export function MaterialUpload({ onUploaded }: Props) {
  const [file, setFile] = useState<File | null>(null);
  // A new key empties the file input after an upload (its value cannot be set).
  const [inputKey, setInputKey] = useState(0);
  const [title, setTitle] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const upload = async () => {
    if (file === null) return;
    setProgress(0);
    setMessage(null);
    try {
      const stored = await uploadMaterial(file, title.trim() || file.name, setProgress);
      setMessage({ text: `Uploaded “${stored.title}”.`, error: false });
      setFile(null);
      setInputKey((key) => key + 1);
      setTitle("");
      await onUploaded();
    } catch (caught) {
      setMessage({ text: messageOf(caught), error: true });
    } finally {
      setProgress(null);
    }
  };

  const busy = progress !== null;
  return (
    <form
      className="material-upload"
      aria-label="Upload material"
      onSubmit={(event) => {
        event.preventDefault();
        void upload();
      }}
    >
      <label>
        File (PDF up to 50 MB, MP4 or WebM video up to 500 MB){" "}
        <input
          key={inputKey}
          type="file"
          accept="application/pdf,video/mp4,video/webm"
          data-testid="material-file"
          disabled={busy}
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
      </label>
      <label>
        Title{" "}
        <input
          type="text"
          maxLength={200}
          value={title}
          disabled={busy}
          placeholder={file?.name ?? ""}
          onChange={(event) => setTitle(event.target.value)}
        />
      </label>
      <button type="submit" disabled={busy || file === null}>
        {busy ? "Uploading…" : "Upload"}
      </button>
      {busy && (
        <progress max={1} value={progress} aria-label="Upload progress">
          {Math.round(progress * 100)} %
        </progress>
      )}
      {message && (
        <p
          className={message.error ? "status status-error" : "status"}
          role={message.error ? "alert" : "status"}
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
