/** Your own picture: file picker, drag and drop (on the box or anywhere), or paste (anywhere on the page). */
import { useEffect, useState, type DragEvent } from "react";

interface UploadAreaProps {
  onImage: (file: Blob, filename: string) => void;
  disabled: boolean;
}

function firstImage(items: FileList | null | undefined): File | null {
  return [...(items ?? [])].find((file) => file.type.startsWith("image/")) ?? items?.[0] ?? null;
}

export function UploadArea({ onImage, disabled }: UploadAreaProps) {
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = firstImage(event.clipboardData?.files);
      if (file && !disabled) onImage(file, file.name || "pasted.png");
    };
    // A picture dropped outside the box would make the browser leave the app to show it.
    const onDragOver = (event: globalThis.DragEvent) => event.preventDefault();
    const onWindowDrop = (event: globalThis.DragEvent) => {
      if (event.defaultPrevented) return; // the box took it
      event.preventDefault();
      const file = firstImage(event.dataTransfer?.files);
      if (file && !disabled) onImage(file, file.name);
    };
    window.addEventListener("paste", onPaste);
    window.addEventListener("dragover", onDragOver);
    window.addEventListener("drop", onWindowDrop);
    return () => {
      window.removeEventListener("paste", onPaste);
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("drop", onWindowDrop);
    };
  }, [onImage, disabled]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = firstImage(event.dataTransfer.files);
    if (file && !disabled) onImage(file, file.name);
  };

  return (
    <section
      className={`upload${dragging ? " upload-dragging" : ""}`}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      data-testid="upload-area"
    >
      <label className="upload-button">
        Use your own picture
        <input
          type="file"
          accept="image/png,image/jpeg,image/webp,image/bmp,image/gif"
          disabled={disabled}
          data-testid="file-input"
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) onImage(file, file.name);
            event.target.value = "";
          }}
        />
      </label>
      <span className="upload-hint">or drop it here, or paste it (Ctrl+V)</span>
    </section>
  );
}
