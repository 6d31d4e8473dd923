"""The training progress line: epochs, elapsed, ETA and selection accuracy."""

from __future__ import annotations

import io

from services.pipeline.evaluation import wilson_interval
from services.pipeline.progress import ProgressBar, format_duration, progress_line


def test_durations_read_as_minutes_and_seconds() -> None:
    assert format_duration(0) == "0:00"
    assert format_duration(65.4) == "1:05"
    assert format_duration(3725) == "1:02:05"


def test_the_line_gives_epoch_elapsed_eta_and_accuracy() -> None:
    line = progress_line(15, 60, 90.0, 0.7834)
    assert "epoch 15/60" in line
    assert "1:30 elapsed" in line
    assert "ETA 4:30" in line  # 45 epochs left at 6 s each
    assert "selection accuracy 78.3%" in line
    assert line.startswith("[######------------------]")


def test_a_log_gets_one_line_per_epoch() -> None:
    stream = io.StringIO()
    bar = ProgressBar(3, stream=stream)
    for epoch in range(3):
        bar.on_epoch_end(epoch, {"val_accuracy": 0.5 + epoch / 10})
    lines = stream.getvalue().splitlines()
    assert [line.split(" · ")[0].split("] ")[1] for line in lines] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    assert lines[-1].endswith("selection accuracy 70.0%")


def test_wilson_interval_equals_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for successes, trials in [(202, 250), (0, 25), (25, 25), (16, 25), (1, 1), (207, 250)]:
        low, high = proportion_confint(successes, trials, method="wilson")
        ours = wilson_interval(successes, trials)
        assert abs(ours[0] - low) < 1e-12 and abs(ours[1] - high) < 1e-12
