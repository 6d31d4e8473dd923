/**
 * Draw a picture for the model: brush size, colour, eraser, clear, then "Classify my
 * drawing" uploads the canvas as PNG. Pointer events serve mouse, finger and pen alike
 * (touch-action: none keeps a finger stroke from scrolling the page). With the keyboard,
 * the arrow keys move a brush cursor and Space puts the brush down or lifts it.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { canvasPng } from "./png";

const SIZE = 256;
const BACKGROUND = "#ffffff";
const SWATCHES = [
  { name: "black", value: "#1f2328" },
  { name: "red", value: "#d1242f" },
  { name: "green", value: "#1a7f37" },
  { name: "blue", value: "#0969da" },
  { name: "yellow", value: "#e3b341" },
  { name: "purple", value: "#8250df" },
];

interface DrawingPadProps {
  onImage: (file: Blob, filename: string) => Promise<string | null>;
}

function clear(canvas: HTMLCanvasElement | null): void {
  const context = canvas?.getContext("2d");
  if (!context) return;
  context.fillStyle = BACKGROUND;
  context.fillRect(0, 0, SIZE, SIZE);
}

export function DrawingPad({ onImage }: DrawingPadProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);
  const [brush, setBrush] = useState(14);
  const [colour, setColour] = useState(SWATCHES[0]?.value ?? "#000000");
  const [erasing, setErasing] = useState(false);
  const [strokes, setStrokes] = useState(0);
  const [sending, setSending] = useState(false);

  useEffect(() => clear(canvas.current), []);

  const point = (event: PointerEvent<HTMLCanvasElement>) => {
    const bounds = event.currentTarget.getBoundingClientRect();
    return {
      x: ((event.clientX - bounds.left) / bounds.width) * SIZE,
      y: ((event.clientY - bounds.top) / bounds.height) * SIZE,
    };
  };

  const drawTo = (to: { x: number; y: number }) => {
    const context = canvas.current?.getContext("2d");
    if (!context) return;
    const from = last.current ?? to;
    context.strokeStyle = erasing ? BACKGROUND : colour;
    context.lineWidth = brush;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x + (from === to ? 0.01 : 0), to.y); // a tap leaves a dot
    context.stroke();
    last.current = to;
  };

  const onDown = (event: PointerEvent<HTMLCanvasElement>) => {
    if (event.button !== 0) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    last.current = null;
    drawTo(point(event));
  };
  const onMove = (event: PointerEvent<HTMLCanvasElement>) => {
    if (last.current === null) return;
    drawTo(point(event)); // a line from the last sample, so a fast stroke stays unbroken
  };
  // Keyboard drawing: a cursor in canvas pixels; with the brush down, each move draws.
  const [cursor, setCursor] = useState<{ x: number; y: number; down: boolean } | null>(null);
  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const at = cursor ?? { x: SIZE / 2, y: SIZE / 2, down: false };
    const step = event.shiftKey ? 2 : 8;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
    };
    const move = moves[event.key];
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      const down = !at.down;
      if (down) {
        last.current = null;
        drawTo(at);
      } else {
        last.current = null;
        setStrokes((count) => count + 1);
      }
      setCursor({ ...at, down });
    } else if (move) {
      event.preventDefault();
      const next = {
        x: Math.max(0, Math.min(SIZE, at.x + move[0])),
        y: Math.max(0, Math.min(SIZE, at.y + move[1])),
        down: at.down,
      };
      if (at.down) drawTo(next);
      setCursor(next);
    }
  };

  const onUp = () => {
    if (last.current !== null) setStrokes((count) => count + 1);
    last.current = null;
  };

  const classify = async () => {
    if (!canvas.current) return;
    setSending(true);
    try {
      await onImage(await canvasPng(canvas.current), "drawing.png");
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="drawing" aria-label="Drawing" data-testid="drawing">
      <div className="drawing-area">
        <canvas
          ref={canvas}
          className="drawing-canvas"
          width={SIZE}
          height={SIZE}
          tabIndex={0}
          role="img"
          aria-label={`Drawing area, ${strokes} ${strokes === 1 ? "stroke" : "strokes"} so far. Keyboard: arrow keys move the brush, Space puts it down or lifts it.`}
          data-testid="drawing-canvas"
          onPointerDown={onDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerCancel={onUp}
          onKeyDown={onKeyDown}
          onBlur={() => setCursor(null)}
        />
        {cursor && (
          <span
            className={`drawing-cursor${cursor.down ? " drawing-cursor-down" : ""}`}
            style={{
              left: cursor.x - brush / 2,
              top: cursor.y - brush / 2,
              width: brush,
              height: brush,
            }}
            aria-hidden="true"
          />
        )}
      </div>
      <div className="drawing-tools">
        <label>
          Brush size <output>{brush}</output>
          <input
            type="range"
            min={2}
            max={40}
            value={brush}
            onChange={(event) => setBrush(Number(event.target.value))}
            data-testid="brush-size"
          />
        </label>
        <div className="drawing-swatches" role="group" aria-label="Colour">
          {SWATCHES.map(({ name, value }) => (
            <button
              type="button"
              key={value}
              className="drawing-swatch"
              style={{ background: value }}
              aria-label={name}
              title={name}
              aria-pressed={!erasing && colour === value}
              onClick={() => {
                setColour(value);
                setErasing(false);
              }}
            />
          ))}
          <label className="drawing-colour">
            Any colour
            <input
              type="color"
              value={colour}
              onChange={(event) => {
                setColour(event.target.value);
                setErasing(false);
              }}
              data-testid="brush-colour"
            />
          </label>
        </div>
        <div className="drawing-actions">
          <button
            type="button"
            aria-pressed={erasing}
            onClick={() => setErasing((value) => !value)}
            data-testid="eraser"
          >
            Eraser
          </button>
          <button
            type="button"
            onClick={() => {
              clear(canvas.current);
              setStrokes(0);
            }}
            data-testid="clear-drawing"
          >
            Clear
          </button>
        </div>
        <button
          type="button"
          className="drawing-classify"
          onClick={() => void classify()}
          disabled={sending}
          data-testid="classify-drawing"
        >
          {sending ? "Sending…" : "Classify my drawing"}
        </button>
      </div>
    </section>
  );
}
