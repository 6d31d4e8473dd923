"""A one-line progress bar for `cnn101 train`: epochs, elapsed time, ETA, selection accuracy.

Keras's own ``verbose=1`` redraws a bar per *batch* for one epoch at a time and says nothing
about the run as a whole; an instructor waiting for a model wants to know how long is left
and whether it is learning. On a terminal the line is redrawn in place; in a log (not a
TTY) one line is written per epoch.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

import keras

BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a number of seconds."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_line(epoch: int, epochs: int, elapsed: float, selection_accuracy: float | None) -> str:
    """The text of the bar after ``epoch`` of ``epochs`` epochs took ``elapsed`` seconds."""
    done = round(BAR_WIDTH * epoch / epochs)
    bar = "#" * done + "-" * (BAR_WIDTH - done)
    remaining = elapsed / epoch * (epochs - epoch) if epoch else 0.0
    accuracy = (
        f" · selection accuracy {selection_accuracy:.1%}" if selection_accuracy is not None else ""
    )
    return (
        f"[{bar}] epoch {epoch}/{epochs} · {format_duration(elapsed)} elapsed"
        f" · ETA {format_duration(remaining)}{accuracy}"
    )


class ProgressBar(keras.callbacks.Callback):  # type: ignore[misc]
    """Writes :func:`progress_line` after every epoch of a ``model.fit`` run."""

    def __init__(self, epochs: int, stream: TextIO | None = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self.in_place = self.stream.isatty()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        accuracy = (logs or {}).get("val_accuracy")
        line = progress_line(
            epoch + 1,
            self.epochs,
            time.monotonic() - self.started,
            None if accuracy is None else float(accuracy),
        )
        if self.in_place:
            end = "\n" if epoch + 1 == self.epochs else ""
            self.stream.write("\r" + line + end)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
