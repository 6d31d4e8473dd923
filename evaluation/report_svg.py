"""The report's three plots as inline SVG strings, written by hand.

Hand-written rather than matplotlib: three simple charts do not justify a 40 MB plotting
library (and its font cache) in the worker image, the output is small, deterministic and
styled like the page, and every label is escaped text rather than paths.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from evaluation.analysis import GainHistogram, StudentScore
from evaluation.analysis_items import ItemStatistic

# Okabe-Ito blue and orange: told apart with every common colour-vision deficiency.
CONDITION_COLOURS = {"cnn101": "#0072B2", "conventional": "#E69F00"}
AXIS = 'stroke="#5a6475" stroke-width="1"'
FONT = 'font-family="system-ui,sans-serif" font-size="11" fill="#1d2430"'


def svg_document(width: int, height: int, label: str, body: Iterable[str]) -> str:
    # Inline in HTML5, an <svg> needs no xmlns: the document names nothing it could fetch.
    text = html.escape(label)
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" role="img" aria-label="{text}">'
        f"<title>{text}</title>{''.join(body)}</svg>"
    )


def svg_text(x: float, y: float, content: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT}>{html.escape(content)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'


def slope_chart(students: list[StudentScore]) -> str:
    """One panel per condition: a line from each student's pre-test to their post-test."""
    panel, top, bottom = 300, 30, 250

    def y(score: float) -> float:
        return bottom - score * (bottom - top)

    body: list[str] = []
    for index, (condition, colour) in enumerate(CONDITION_COLOURS.items()):
        left = 60 + index * (panel + 20)
        x_pre, x_post = left + 40, left + panel - 60
        group = [s for s in students if s.condition == condition]
        body.append(svg_text(left + panel / 2 - 10, 18, f"{condition} (n = {len(group)})"))
        body.append(_line(left, top, left, bottom, AXIS))
        for tick in (0, 0.25, 0.5, 0.75, 1):
            body.append(_line(left - 4, y(tick), left, y(tick), AXIS))
            body.append(svg_text(left - 7, y(tick) + 4, f"{tick:g}", "end"))
        body.append(svg_text(x_pre, bottom + 18, "pre-test"))
        body.append(svg_text(x_post, bottom + 18, "post-test"))
        for student in group:
            body.append(
                _line(
                    x_pre,
                    y(student.pre),
                    x_post,
                    y(student.post),
                    f'stroke="{colour}" stroke-opacity="0.35" stroke-width="1.5"',
                )
            )
        if group:
            pre = sum(s.pre for s in group) / len(group)
            post = sum(s.post for s in group) / len(group)
            body.append(
                _line(x_pre, y(pre), x_post, y(post), f'stroke="{colour}" stroke-width="4"')
            )
    return svg_document(660, 275, "Each student's pre-test and post-test score by condition", body)


def gain_chart(histogram: GainHistogram) -> str:
    """Side-by-side bars per gain bin: how many students of each condition gained that much."""
    left, right, top, bottom = 50, 630, 20, 220
    bins = len(histogram.edges) - 1
    width = (right - left) / bins
    highest = max([1, *(c for counts in histogram.counts.values() for c in counts)])

    def y(count: float) -> float:
        return bottom - count / highest * (bottom - top)

    body = [_line(left, bottom, right, bottom, AXIS), _line(left, top, left, bottom, AXIS)]
    step = max(1, round(highest / 5))
    for tick in range(0, highest + 1, step):
        body.append(_line(left - 4, y(tick), left, y(tick), AXIS))
        body.append(svg_text(left - 7, y(tick) + 4, str(tick), "end"))
    for index, edge in enumerate(histogram.edges):
        body.append(svg_text(left + index * width, bottom + 16, f"{edge:g}"))
    bar = (width - 6) / len(CONDITION_COLOURS)
    for offset, (condition, colour) in enumerate(CONDITION_COLOURS.items()):
        for index, count in enumerate(histogram.counts.get(condition, [])):
            if count:
                x = left + index * width + 3 + offset * bar
                body.append(
                    f'<rect x="{x:.1f}" y="{y(count):.1f}" width="{bar:.1f}" '
                    f'height="{bottom - y(count):.1f}" fill="{colour}">'
                    f"<title>{html.escape(condition)}: {count}</title></rect>"
                )
    body.append(svg_text((left + right) / 2, bottom + 34, "gain (post-test minus pre-test)"))
    return svg_document(660, 260, "Distribution of gains by condition", body)


def item_chart(items: list[ItemStatistic]) -> str:
    """Difficulty against discrimination, one point per item and phase (post hollow)."""
    left, right, top, bottom = 60, 630, 15, 255

    def x(difficulty: float) -> float:
        return left + difficulty * (right - left)

    def y(discrimination: float) -> float:
        return bottom - (discrimination + 0.5) / 1.5 * (bottom - top)  # axis from -0.5 to 1

    body = [_line(left, bottom, right, bottom, AXIS), _line(left, top, left, bottom, AXIS)]
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1):
        body.append(svg_text(x(tick), bottom + 16, f"{tick:g}"))
    for tick in (-0.5, 0, 0.5, 1):
        body.append(svg_text(left - 7, y(tick) + 4, f"{tick:g}", "end"))
    body.append(_line(left, y(0.2), right, y(0.2), 'stroke="#b0413e" stroke-dasharray="4 3"'))
    for item in items:
        if item.discrimination is None:
            continue
        value = max(-0.5, min(1.0, item.discrimination))
        fill = "#1d2430" if item.phase == "pre" else "none"
        body.append(
            f'<circle cx="{x(item.difficulty):.1f}" cy="{y(value):.1f}" r="4" fill="{fill}" '
            f'stroke="#1d2430"><title>{html.escape(item.item_key)} ({item.phase}): '
            f"difficulty {item.difficulty:.2f}, discrimination {item.discrimination:.2f}"
            "</title></circle>"
        )
        body.append(svg_text(x(item.difficulty) + 6, y(value) - 5, item.item_key, "start"))
    body.append(svg_text((left + right) / 2, bottom + 32, "difficulty (proportion correct)"))
    body.append(
        f'<text transform="translate(16 {(top + bottom) / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle" {FONT}>discrimination</text>'
    )
    return svg_document(
        660, 295, "Item difficulty against discrimination (filled: pre, hollow: post)", body
    )
