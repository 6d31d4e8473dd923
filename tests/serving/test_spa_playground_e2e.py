"""The playground (output size of a convolution, its formula, the sliding window and the sum)
in headless Chromium against the real serving stack.

Screenshots go to /tmp/cnn101-spa/ (``inputs-*.png``) to be looked at.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.serving.browser import shot
from tests.serving.stack import GatewayThread


def _set(page: Page, field: str, value: str) -> None:
    page.get_by_test_id(f"playground-{field}").fill(value)


def _open_playground(page: Page, spa: GatewayThread) -> None:
    page.goto(spa.url + "/")
    page.get_by_test_id("tab-playground").click()
    expect(page.get_by_test_id("playground")).to_be_visible()
    expect(page.get_by_test_id("overview")).to_be_hidden()


def test_playground_formula(spa: GatewayThread, page: Page) -> None:
    _open_playground(page, spa)
    formula = page.get_by_test_id("playground-formula")
    for n, p, k, s, out in (
        (5, 1, 3, 2, 3),
        (7, 0, 3, 1, 5),
        (9, 2, 5, 3, 3),
        (9, 3, 4, 2, 6),
        (6, 0, 3, 2, 2),
    ):
        for field, value in (("n", n), ("p", p), ("k", k), ("s", s)):
            _set(page, field, str(value))
        expect(formula).to_have_attribute("data-size", str(out))
        inner = n + 2 * p - k
        expect(formula).to_contain_text(f"= \u230a({n} + 2\u00d7{p} \u2212 {k}) / {s}\u230b + 1")
        expect(formula).to_contain_text(f"= \u230a{inner} / {s}\u230b + 1")
        expect(page.get_by_test_id("playground-output")).to_have_attribute("data-size", str(out))
        expect(page.get_by_test_id("playground-padded")).to_have_attribute(
            "data-size", str(n + 2 * p)
        )
        expect(page.get_by_test_id("playground-output").locator(".grid-cell")).to_have_count(
            out * out
        )
    # 6, 0, 3, 2 leaves a remainder: a note, or a refusal when an exact fit is required.
    expect(page.get_by_test_id("playground-note")).to_contain_text("never used")
    page.get_by_test_id("playground-exact").check()
    expect(page.get_by_test_id("playground-problem")).to_contain_text("is not a whole number")
    expect(formula).to_have_attribute("data-size", "")
    page.get_by_test_id("playground-exact").uncheck()
    expect(formula).to_have_attribute("data-size", "2")


def test_playground_window_and_invalid_combinations(spa: GatewayThread, page: Page) -> None:
    _open_playground(page, spa)
    formula = page.get_by_test_id("playground-formula")
    # The window follows the output cell (pointer and keyboard) and the sum is written out.
    for field, text in (("n", "5"), ("p", "1"), ("k", "3"), ("s", "2")):
        _set(page, field, text)
    window = page.get_by_test_id("playground-window")
    page.get_by_test_id("playground-output").locator('[data-row="1"][data-col="2"]').click()
    expect(page.get_by_test_id("playground-sum")).to_contain_text("row 2, column 3")
    # The window's place in cells of 34 px (its style; a transition may still be moving it).
    box = window.evaluate("el => [el.style.top, el.style.left, el.style.width]")
    assert box == [f"{2 * 34}px", f"{4 * 34}px", f"{3 * 34}px"]
    output = page.get_by_test_id("playground-output").locator(".grid-output")
    output.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("playground-sum")).to_contain_text("row 2, column 2")
    sum_text = page.get_by_test_id("playground-sum").inner_text()
    shown = page.get_by_test_id("playground-output").locator(".grid-current").inner_text()
    assert f"= {shown}" in sum_text
    # The sum is right: the window's numbers times the kernel (+1 left column, -1 right).
    terms = re.findall(r"(\u2212?\d+)\u00d7\(?(\u2212?1)\)?", sum_text)
    assert terms
    total = sum(int(a.replace("\u2212", "-")) * int(b.replace("\u2212", "-")) for a, b in terms)
    assert total == int(shown.replace("\u2212", "-"))
    shot(page, "inputs-8-playground")

    # Invalid: a kernel larger than the padded input, and a stride of zero.
    _set(page, "n", "3")
    _set(page, "p", "0")
    _set(page, "k", "5")
    problem = page.get_by_test_id("playground-problem")
    expect(problem).to_contain_text("bigger than the padded input (n + 2p = 3 + 2\u00d70 = 3)")
    expect(page.get_by_test_id("playground-output")).to_have_count(0)
    shot(page, "inputs-9-playground-invalid")
    _set(page, "k", "3")
    _set(page, "s", "0")
    expect(problem).to_contain_text("The stride s must be at least 1")
    _set(page, "s", "1")
    expect(problem).to_have_count(0)
    expect(formula).to_have_attribute("data-size", "1")

    # Back to the explorer: still there, as it was.
    page.get_by_test_id("tab-explorer").click()
    expect(page.get_by_test_id("overview")).to_be_visible()
