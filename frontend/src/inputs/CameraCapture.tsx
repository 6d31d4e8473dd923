/**
 * A webcam frame as the input: the camera's live picture, "Take the picture" copies the
 * centred square into a canvas and uploads it as PNG. The camera is released when the panel
 * closes. No camera, or no permission, gets a message that says what to do.
 */
import { useEffect, useRef, useState } from "react";
import { cameraProblem, centreSquare } from "./pixels";
import { canvasPng } from "./png";

/** The size the frame is saved at; the gateway resizes it to the model's input. */
const SNAPSHOT = 256;

interface CameraCaptureProps {
  onImage: (file: Blob, filename: string) => Promise<string | null>;
}

export function CameraCapture({ onImage }: CameraCaptureProps) {
  const video = useRef<HTMLVideoElement>(null);
  const snapshot = useRef<HTMLCanvasElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    const run = { live: true };
    let stream: MediaStream | null = null;
    // Undefined on plain http to another computer: browsers keep cameras to secure pages.
    const media = navigator.mediaDevices as MediaDevices | undefined;
    if (typeof media?.getUserMedia !== "function") {
      setProblem(
        cameraProblem(
          Object.assign(new Error("no media devices"), { name: "NoMediaDevices" }),
          window.isSecureContext,
        ),
      );
      return;
    }
    media
      .getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false })
      .then(async (opened) => {
        stream = opened;
        const element = video.current;
        if (!run.live || !element) return;
        element.srcObject = opened;
        await element.play();
        setReady(true);
      })
      .catch(
        (error: unknown) => run.live && setProblem(cameraProblem(error, window.isSecureContext)),
      );
    return () => {
      run.live = false;
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);

  const take = async () => {
    const element = video.current;
    const canvas = snapshot.current;
    const context = canvas?.getContext("2d");
    if (!element || !canvas || !context || element.videoWidth === 0) return;
    const { x, y, side } = centreSquare(element.videoWidth, element.videoHeight);
    context.drawImage(element, x, y, side, side, 0, 0, SNAPSHOT, SNAPSHOT);
    setSending(true);
    try {
      await onImage(await canvasPng(canvas), "camera.png");
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="camera" aria-label="Camera" data-testid="camera">
      {problem !== null ? (
        <p className="status status-error" role="alert" data-testid="camera-problem">
          {problem}
        </p>
      ) : (
        <>
          <div className="camera-frames">
            <video
              ref={video}
              className="camera-video"
              muted
              playsInline
              aria-label="What the camera sees"
            />
            <canvas
              ref={snapshot}
              className="camera-snapshot"
              width={SNAPSHOT}
              height={SNAPSHOT}
              role="img"
              aria-label="The last picture taken"
            />
          </div>
          <button
            type="button"
            onClick={() => void take()}
            disabled={!ready || sending}
            data-testid="camera-take"
          >
            {ready ? "Take the picture" : "Starting the camera…"}
          </button>
        </>
      )}
    </section>
  );
}
