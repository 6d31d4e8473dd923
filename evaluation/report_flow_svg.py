"""The report's CONSORT-style flow diagram as inline SVG (hand-written, like report_svg.py).

Enrolment runs down the middle (joined, took part, pre-tested, randomised); each stage's
exits sit in a box to its right; after randomisation each arm has its own column
(assigned, post-tested, analysed) with its withdrawals beside the post-test.
"""

from __future__ import annotations

import math

from evaluation.flow_counts import FlowCounts
from evaluation.report_svg import CONDITION_COLOURS, svg_document, svg_text

WIDTH = 690
BOX_W, BOX_H = 220, 34
LINE = 'stroke="#5a6475" stroke-width="1.2"'
LABELS = {"cnn101": "CNN 101", "conventional": "Conventional material"}


def _box(x: float, y: float, lines: list[str], colour: str = "#5a6475", w: int = BOX_W) -> str:
    height = BOX_H + 14 * (len(lines) - 1)
    texts = "".join(svg_text(x + w / 2, y + 21 + 14 * i, line) for i, line in enumerate(lines))
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w}" height="{height}" rx="4" '
        f'fill="#fff" stroke="{colour}" stroke-width="1.5"/>{texts}'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    """A line with its head drawn as a triangle (a marker would need ``url(#id)``, which
    the self-contained report does not use)."""
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    bx, by = x2 - 7 * ux, y2 - 7 * uy
    corners = [(x2, y2), (bx - 3.5 * uy, by + 3.5 * ux), (bx + 3.5 * uy, by - 3.5 * ux)]
    head = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{bx:.1f}" y2="{by:.1f}" {LINE}/>'
        f'<polygon points="{head}" fill="#5a6475"/>'
    )


def flow_diagram(flow: FlowCounts) -> str:
    centre = WIDTH / 2 - BOX_W / 2
    side = centre + BOX_W + 25
    body: list[str] = []
    stages = [
        (f"Joined: {flow.joined}", None),
        (f"Took part (consented): {flow.consented}", f"Declined or no data: {flow.declined}"),
        (
            f"Pre-tested: {flow.pre_tested}",
            f"Withdrew before assignment: {flow.withdrawn_before_assignment}",
        ),
        (f"Randomised: {flow.assigned}", None),
    ]
    y = 10.0
    for index, (label, exit_label) in enumerate(stages):
        body.append(_box(centre, y, [label]))
        if exit_label is not None:
            body.append(_arrow(centre + BOX_W, y + BOX_H / 2, side, y + BOX_H / 2))
            body.append(_box(side, y, [exit_label], w=200))
        if index < len(stages) - 1:
            body.append(_arrow(WIDTH / 2, y + BOX_H, WIDTH / 2, y + BOX_H + 22))
        y += BOX_H + 22
    columns = [20.0, WIDTH - 20 - BOX_W]
    for column, arm in zip(columns, flow.arms, strict=False):
        colour = CONDITION_COLOURS.get(arm.condition, "#5a6475")
        arm_y = y + 10
        body.append(_arrow(WIDTH / 2, y - 22, column + BOX_W / 2, arm_y))
        rows = [
            [f"{LABELS.get(arm.condition, arm.condition)}: assigned {arm.assigned}"],
            [f"Post-tested: {arm.post_tested}", f"(withdrew after assignment: {arm.withdrawn})"],
            [f"Analysed (both tests): {arm.analysed}"],
        ]
        for number, lines in enumerate(rows):
            body.append(_box(column, arm_y, lines, colour))
            height = BOX_H + 14 * (len(lines) - 1)
            if number < len(rows) - 1:
                body.append(
                    _arrow(
                        column + BOX_W / 2,
                        arm_y + height,
                        column + BOX_W / 2,
                        arm_y + height + 18,
                    )
                )
            arm_y += height + 18
    height = int(y + 10 + 3 * (BOX_H + 18) + 14 + 30)
    body.append(
        svg_text(
            WIDTH / 2,
            height - 10,
            "Withdrawn students' data is deleted; a withdrawal before consent leaves no trace.",
        )
    )
    return svg_document(WIDTH, height, "Flow of students through the study", body)
