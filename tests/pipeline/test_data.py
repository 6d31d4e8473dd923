"""The data module reads the official layout and explains every broken data directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.data import (
    DataDirectoryError,
    load_annotated,
    load_train,
    load_validation,
)
from tests.conftest import MakeDataset


def test_reads_the_real_ten_class_folder_in_paper_order(real_data_dir: Path) -> None:
    train = load_train(real_data_dir, CNN101_CLASSES)
    val = load_validation(real_data_dir, CNN101_CLASSES)
    assert train.pixels.shape == (5000, 64, 64, 3)
    assert train.pixels.dtype == np.uint8
    assert np.bincount(train.labels).tolist() == [500] * 10
    assert np.bincount(val.labels).tolist() == [25] * 10
    first_koala = train.paths[int(np.flatnonzero(train.labels == 5)[0])]
    assert first_koala.parent.parent.name == "n01882714"


def test_synthetic_dataset_round_trip(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset(per_class=3, val_per_class=2)
    train = load_train(data_dir, CNN101_CLASSES)
    val = load_validation(data_dir, CNN101_CLASSES)
    assert len(train) == 30
    assert len(val) == 20
    assert val.labels.tolist() == [label for label in range(10) for _ in range(2)]


def test_resizes_to_another_input_size(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset(per_class=1, val_per_class=1)
    assert load_train(data_dir, CNN101_CLASSES, size=48).pixels.shape == (10, 48, 48, 3)


def _expect(data_dir: Path, *fragments: str) -> None:
    with pytest.raises(DataDirectoryError) as caught:
        load_train(data_dir, CNN101_CLASSES)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_missing_directory(tmp_path: Path) -> None:
    _expect(tmp_path / "nowhere", "does not exist", "CNN101_DATA_DIR")


def test_empty_directory(tmp_path: Path) -> None:
    _expect(tmp_path, "is empty")


def test_a_file_instead_of_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    _expect(tmp_path / "file", "is not a directory")


def test_wrong_layout(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    _expect(tmp_path, "not in the Tiny ImageNet layout", "wnids.txt", "train", "val")


def test_missing_class_folder(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    koala = data_dir / "train" / "n01882714" / "images"
    for image in koala.iterdir():
        image.unlink()
    koala.rmdir()
    _expect(data_dir, "koala", "does not exist")


def test_class_folder_without_images(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    for image in (data_dir / "train" / "n07747607" / "images").iterdir():
        image.unlink()
    _expect(data_dir, "orange", "holds no images")


def test_corrupt_image_is_named(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    broken = data_dir / "train" / "n07873807" / "images" / "n07873807_1.JPEG"
    broken.write_bytes(broken.read_bytes()[:40])
    _expect(data_dir, "n07873807_1.JPEG", "corrupt")


def test_text_renamed_to_jpeg(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    (data_dir / "train" / "n07873807" / "images" / "n07873807_0.JPEG").write_text("hello")
    _expect(data_dir, "n07873807_0.JPEG", "not an image")


def test_validation_without_annotations(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    (data_dir / "val" / "val_annotations.txt").unlink()
    with pytest.raises(DataDirectoryError, match=r"val_annotations\.txt is missing"):
        load_validation(data_dir, CNN101_CLASSES)


def test_malformed_annotation_line_is_located(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    annotations = data_dir / "val" / "val_annotations.txt"
    lines = annotations.read_text().splitlines()
    lines.insert(2, "just-one-field")
    annotations.write_text("\n".join(lines))
    with pytest.raises(DataDirectoryError, match="line 3"):
        load_validation(data_dir, CNN101_CLASSES)


def test_annotation_for_a_missing_file(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    (data_dir / "val" / "images" / "val_0.JPEG").unlink()
    with pytest.raises(DataDirectoryError, match=r"val_0\.JPEG is listed but does not exist"):
        load_validation(data_dir, CNN101_CLASSES)


def test_annotation_escaping_the_folder(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    annotations = data_dir / "val" / "val_annotations.txt"
    annotations.write_text("../../etc/passwd\tn03662601\t0\t0\t1\t1\n")
    with pytest.raises(DataDirectoryError, match="plain file name"):
        load_validation(data_dir, CNN101_CLASSES)


def test_other_classes_are_skipped_but_none_is_an_error(make_dataset: MakeDataset) -> None:
    data_dir = make_dataset()
    annotations = data_dir / "val" / "val_annotations.txt"
    annotations.write_text("val_0.JPEG\tn99999999\t0\t0\t1\t1\n" + annotations.read_text())
    assert len(load_annotated(data_dir / "val", CNN101_CLASSES)) == 20
    annotations.write_text("val_0.JPEG\tn99999999\t0\t0\t1\t1\n")
    with pytest.raises(DataDirectoryError, match="lists no image of the model's classes"):
        load_annotated(data_dir / "val", CNN101_CLASSES)
