"""The explorer's first picture: correctly classified, the highest true-class probability."""

from __future__ import annotations

from services.worker.featured import featured_example

CLASSES = ["lifeboat", "ladybug", "pizza"]


def test_the_surest_correct_example_wins_over_a_surer_mistake() -> None:
    scored = [
        ("blurred", "lifeboat", [0.2, 0.1, 0.7]),  # called a pizza, however sure
        ("fair", "ladybug", [0.1, 0.8, 0.1]),
        ("clear", "pizza", [0.01, 0.02, 0.97]),
    ]
    assert featured_example(scored, CLASSES) == "clear"


def test_ties_go_to_the_first_in_catalog_order() -> None:
    scored = [("a", "lifeboat", [0.9, 0.05, 0.05]), ("b", "pizza", [0.05, 0.05, 0.9])]
    assert featured_example(scored, CLASSES) == "a"


def test_examples_of_classes_the_model_lacks_are_never_featured() -> None:
    scored = [("x", "school bus", [0.9, 0.05, 0.05]), ("y", "pizza", [0.3, 0.3, 0.4])]
    assert featured_example(scored, CLASSES) == "y"
    assert featured_example([("x", "school bus", [1.0, 0.0, 0.0])], CLASSES) is None
    assert featured_example([("z", "pizza", [0.5, 0.5])], CLASSES) is None  # wrong width


def test_nothing_is_featured_when_the_model_gets_every_example_wrong() -> None:
    scored = [("a", "lifeboat", [0.1, 0.9, 0.0]), ("b", "ladybug", [0.9, 0.1, 0.0])]
    assert featured_example(scored, CLASSES) is None
