"""Custom data sets and variant shapes: loading, the held-out split, what fits an input."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from services.pipeline.custom_data import (
    DatasetLimits,
    InvalidDatasetError,
    inspect_zip,
    load_zip,
    stratified_split,
)
from services.pipeline.data import LabelledImages
from services.pipeline.preprocess import to_model_pixels
from services.pipeline.variant_shape import ArchitectureDoesNotFitError, feature_map_sizes
from tests.studio_zips import shapes_zip


def test_images_go_through_the_built_in_preprocessing_in_sorted_class_order() -> None:
    # A wide image: centre-cropped to a square, then resized, as every other input.
    wide = Image.new("RGB", (90, 40), (255, 0, 0))
    wide.paste((0, 0, 255), (25, 0, 65, 40))
    buffer = io.BytesIO()
    wide.save(buffer, format="PNG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in ("zebra", "apple"):
            for index in range(2):
                zipped.writestr(f"{name}/{index}.png", buffer.getvalue())
    images, classes = load_zip(archive.getvalue(), 32, DatasetLimits(min_images_per_class=2))
    assert [c.name for c in classes] == ["apple", "zebra"]
    assert images.labels.tolist() == [0, 0, 1, 1]
    np.testing.assert_array_equal(images.pixels[0], to_model_pixels(wide, 32))
    assert images.pixels.shape == (4, 32, 32, 3)
    # Cropped, not squashed: even the corners are the blue centre band.
    assert images.pixels[0, 0, 0].tolist() == [0, 0, 255]


def test_the_split_holds_out_a_fifth_of_every_class_reproducibly() -> None:
    labels = np.array([0] * 20 + [1] * 10 + [2] * 3)
    images = LabelledImages(np.arange(len(labels))[:, None], labels, ())
    train, val = stratified_split(images, 0.2, seed=0)
    assert np.bincount(val.labels).tolist() == [4, 2, 1]
    assert np.bincount(train.labels).tolist() == [16, 8, 2]
    assert not set(train.pixels[:, 0]) & set(val.pixels[:, 0])
    again_train, again_val = stratified_split(images, 0.2, seed=0)
    np.testing.assert_array_equal(again_val.pixels, val.pixels)
    np.testing.assert_array_equal(again_train.pixels, train.pixels)


def test_limits_are_the_callers() -> None:
    data = shapes_zip(per_class=4)
    with pytest.raises(InvalidDatasetError, match="at least 10"):
        inspect_zip(data)
    assert inspect_zip(data, DatasetLimits(min_images_per_class=4)).images == 12
    with pytest.raises(InvalidDatasetError, match="at most 3 per class"):
        inspect_zip(data, DatasetLimits(min_images_per_class=1, max_images_per_class=3))
    with pytest.raises(InvalidDatasetError, match="at most 5 are accepted"):
        inspect_zip(data, DatasetLimits(max_files=5))
    with pytest.raises(InvalidDatasetError, match="pixels per image"):
        inspect_zip(data, DatasetLimits(min_images_per_class=4, max_image_pixels=100))


def test_unbalanced_classes_are_accepted_with_a_warning() -> None:
    data = shapes_zip(per_class=4, extra={f"circle/x{i}.png": _png() for i in range(10)})
    summary = inspect_zip(data, DatasetLimits(min_images_per_class=4))
    assert [c.images for c in summary.classes] == [14, 4, 4]
    assert any("unbalanced" in warning for warning in summary.warnings)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("shape", "sides"),
    [
        ((64, 2, 2, 3), [30, 13]),  # the paper's Tiny VGG
        ((32, 1, 1, 3), [15]),
        ((32, 3, 1, 5), [14, 5, 0]),
    ],
)
def test_feature_map_sizes(shape: tuple[int, int, int, int], sides: list[int]) -> None:
    if sides[-1] == 0:
        with pytest.raises(ArchitectureDoesNotFitError, match="block 3"):
            feature_map_sizes(*shape)
    else:
        assert feature_map_sizes(*shape) == sides
