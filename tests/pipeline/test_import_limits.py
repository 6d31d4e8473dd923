"""Model files are checked from their HDF5 metadata before Keras allocates or follows anything.

The measured attack: a 25 KB ``.h5`` declaring a 1 GiB weight tensor took the model worker
from 0.77 to 1.8 GB before it was refused; a model whose weights live in another file of
the server was refused only because Keras happened to refuse it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import h5py  # type: ignore[import-untyped]
import keras
import numpy as np
import pytest

from services.pipeline.import_formats import ImportRejected
from services.pipeline.import_limits import MAX_PARAMETERS, check_hdf5_bytes
from services.pipeline.import_loading import read_h5, read_keras_archive
from services.pipeline.import_upload import read_upload
from tests.pipeline.test_importing import build_source, keras_bytes, tfjs_files

MODEL_CONFIG = json.dumps(
    {"class_name": "Sequential", "config": {"name": "bomb", "layers": []}}
).encode()


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _h5(build: object) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["model_config"] = MODEL_CONFIG
        build(h5)  # type: ignore[operator]
    return buffer.getvalue()


def declares_a_gibibyte(h5: h5py.File) -> None:
    # Shape only: HDF5 writes no data, so the file stays a few kilobytes.
    h5.create_dataset("model_weights/dense/kernel", shape=(16384, 16384), dtype="f4")


def test_a_small_file_declaring_a_gibibyte_is_refused_before_any_allocation() -> None:
    bomb = _h5(declares_a_gibibyte)
    assert len(bomb) < 30_000
    before = _rss_bytes()
    with pytest.raises(ImportRejected, match=r"shape \(16384, 16384\).*at most 20,000,000"):
        read_h5(bomb, "bomb.h5")
    with pytest.raises(ImportRejected, match="268,435,456 values"):
        read_upload({"bomb.h5": bomb})
    grown = _rss_bytes() - before
    print(f"RSS grew by {grown / 2**20:.1f} MiB checking a file that declares 1 GiB")
    assert grown < 50 * 2**20


def test_many_tensors_within_the_bound_each_but_not_together_are_refused() -> None:
    def many(h5: h5py.File) -> None:
        zeros = np.zeros(MAX_PARAMETERS // 2, dtype="f4")
        for index in range(3):  # written, and compressed: the file stays small
            h5.create_dataset(f"w{index}", data=zeros, compression="gzip", chunks=(2**20,))

    with pytest.raises(ImportRejected, match="in all"):
        check_hdf5_bytes(_h5(many), "many.h5")


def test_weights_kept_outside_the_file_are_refused_by_our_check(tmp_path: Path) -> None:
    outside = tmp_path / "secret.bin"
    outside.write_bytes(np.arange(16, dtype="<f4").tobytes())

    def external_storage(h5: h5py.File) -> None:
        h5.create_dataset("kernel", shape=(16,), dtype="<f4", external=[(str(outside), 0, 64)])

    def external_link(h5: h5py.File) -> None:
        h5["model_weights"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/weights")

    def virtual(h5: h5py.File) -> None:
        layout = h5py.VirtualLayout(shape=(16,), dtype="<f4")
        layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "w", shape=(16,))
        h5.create_virtual_dataset("kernel", layout)

    for build in (external_storage, external_link, virtual):
        with pytest.raises(ImportRejected, match="hold its own weights"):
            read_h5(_h5(build), "outside.h5")


def test_a_keras_archive_s_weights_are_checked_too(tmp_path: Path) -> None:
    """A real model's config, and weights declaring a gibibyte."""
    real = keras_bytes(build_source(), tmp_path, ".keras")
    archive = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as source, zipfile.ZipFile(archive, "w") as keras_zip:
        for member in source.namelist():
            if member != "model.weights.h5":
                keras_zip.writestr(member, source.read(member))
        keras_zip.writestr("model.weights.h5", _h5(declares_a_gibibyte))
    with pytest.raises(ImportRejected, match=r"model.weights.h5 in bomb.keras declares"):
        read_keras_archive(archive.getvalue(), "bomb.keras")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_real_model_passes(tmp_path: Path, suffix: str) -> None:
    data = keras_bytes(build_source(), tmp_path, suffix)
    if suffix == ".h5":
        check_hdf5_bytes(data, "model.h5")
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_hdf5_bytes(archive.read("model.weights.h5"), "model.weights.h5")


# --- what the model's config declares: Keras builds (allocates) every layer before it
# reads a weight, so the config is bounded before Keras sees it ---


def teacher_model() -> keras.Model:
    """A small real CNN on 128x128 input, the size of the largest input CNN 101 shows."""
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((128, 128, 3), name="pixels"),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(4, name="pool"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(7, activation="softmax", name="scores"),
        ],
        name="teacher",
    )


def _edit_layer(config: dict[str, Any], name: str, **changes: object) -> dict[str, Any]:
    layers = config["config"]["layers"]
    entry = next(e for e in layers if (e.get("config") or {}).get("name") == name)
    entry["config"].update(changes)
    return config


def with_layer_changed(files: dict[str, bytes], layer: str, **changes: object) -> dict[str, bytes]:
    """The same upload whose config declares other sizes for ``layer`` (weights unchanged)."""
    ((name, data),) = [(n, d) for n, d in files.items() if n.endswith((".h5", ".keras", ".json"))]
    if name.endswith(".h5"):
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "r+") as h5:
            raw = h5.attrs["model_config"]
            config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            h5.attrs["model_config"] = json.dumps(_edit_layer(config, layer, **changes))
        return {**files, name: buffer.getvalue()}
    if name.endswith(".keras"):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            for member in source.namelist():
                content = source.read(member)
                if member == "config.json":
                    config = _edit_layer(json.loads(content), layer, **changes)
                    content = json.dumps(config).encode()
                target.writestr(member, content)
        return {**files, name: out.getvalue()}
    document = json.loads(data)
    _edit_layer(document["modelTopology"]["model_config"], layer, **changes)
    return {**files, name: json.dumps(document).encode()}


def upload_of(model: keras.Model, form: str, tmp_path: Path) -> dict[str, bytes]:
    if form == "tfjs":
        return tfjs_files(model)
    return {f"teacher{form}": keras_bytes(model, tmp_path, form)}


FORMS = [".keras", ".h5", "tfjs"]


@pytest.mark.parametrize("form", FORMS)
def test_a_config_declaring_a_huge_layer_is_refused_before_keras_builds_it(
    tmp_path: Path, form: str
) -> None:
    """Dense units 7 after a 31x31x4 flatten: 27 thousand weights; 9,000 units: 34.6 M, which
    Keras would allocate (and initialise) before finding that the file holds 7 columns."""
    files = upload_of(teacher_model(), form, tmp_path)
    bomb = with_layer_changed(files, "scores", units=9000)
    before = _rss_bytes()
    with pytest.raises(ImportRejected, match=r"layer 'scores' declares 34,605,000 parameters"):
        read_upload(bomb)
    grown = _rss_bytes() - before
    print(f"{form}: RSS grew by {grown / 2**20:.1f} MiB refusing a 138 MB layer")
    assert grown < 50 * 2**20


@pytest.mark.parametrize("form", FORMS)
def test_a_layer_whose_output_is_too_large_is_refused_before_keras_builds_it(
    tmp_path: Path, form: str
) -> None:
    """300 1x1 filters on 128x128 pictures: 1,200 weights, but 4.9 M values out of the layer
    for every picture (20 MB), which every run of the model would compute and the views
    would show."""
    files = upload_of(teacher_model(), form, tmp_path)
    bomb = with_layer_changed(files, "conv", filters=300, kernel_size=[1, 1])
    with pytest.raises(ImportRejected, match=r"layer 'conv' outputs 128x128x300 = 4,915,200"):
        read_upload(bomb)


def test_a_tensor_declared_larger_than_the_bytes_stored_for_it_is_refused() -> None:
    def unwritten(h5: h5py.File) -> None:
        h5.create_dataset("model_weights/dense/kernel", shape=(1000, 1000), dtype="f4")

    def partly_written(h5: h5py.File) -> None:
        kernel = h5.create_dataset("kernel", shape=(1000, 1000), dtype="f4", chunks=(10, 1000))
        kernel[:10] = 1.0

    declared = r"kernel as \(1000, 1000\) float32 \(4,000,000 bytes\)"
    for build, stored in ((unwritten, "0"), (partly_written, "40,000")):
        with pytest.raises(ImportRejected, match=rf"declares .*{declared} but holds {stored} "):
            check_hdf5_bytes(_h5(build), "short.h5")


def test_optimizer_state_is_not_counted_as_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras stores Adam's two slots per weight beside the model: a model within the bound
    stays within it however it was compiled (nothing loads the optimizer: compile=False)."""
    model = teacher_model()
    model.compile("adam", "categorical_crossentropy")
    model.fit(np.zeros((2, 128, 128, 3)), np.eye(7)[:2], verbose=0)
    parameters = model.count_params()
    monkeypatch.setattr("services.pipeline.import_limits.MAX_PARAMETERS", parameters)
    for form in (".h5", ".keras"):
        read_upload(upload_of(model, form, tmp_path))
    monkeypatch.setattr("services.pipeline.import_limits.MAX_PARAMETERS", parameters - 1)
    with pytest.raises(ImportRejected, match="at most"):
        read_upload(upload_of(model, ".h5", tmp_path))


@pytest.mark.parametrize(
    "path", ["../group1-shard1of2.bin", "weights/group1-shard1of2.bin", "https://x.example/a.bin"]
)
def test_tfjs_shards_must_be_plain_files_among_the_uploaded_ones(path: str) -> None:
    files = tfjs_files(teacher_model())
    document = json.loads(files["model.json"])
    document["weightsManifest"][0]["paths"][0] = path
    with pytest.raises(ImportRejected, match="plain file names"):
        read_upload({**files, "model.json": json.dumps(document).encode()})


def test_a_tfjs_manifest_declaring_a_huge_tensor_is_refused_from_the_manifest() -> None:
    files = tfjs_files(teacher_model())
    document = json.loads(files["model.json"])
    document["weightsManifest"][0]["weights"][-2]["shape"] = [16384, 16384]
    with pytest.raises(ImportRejected, match=r"scores/kernel.*268,435,456 values"):
        read_upload({**files, "model.json": json.dumps(document).encode()})


def test_the_model_worker_refuses_a_bomb_before_loading_it(sqlite_url: str, tmp_path: Path) -> None:
    """The import job, as the worker runs it: the job fails with our reason."""
    from services.common.jobs import JobStatus
    from services.database.engine import make_engine, make_session_factory
    from services.studio.migrations import upgrade_database
    from services.studio.models import ModelJob, ModelJobFile
    from services.worker.model_tasks import run_import
    from services.worker.settings import WorkerSettings

    engine = make_engine(sqlite_url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        job = ModelJob(
            id="f" * 32, kind="import", name="bomb", status="queued", config={}, progress={}
        )
        job.files.append(ModelJobFile(filename="bomb.h5", data=_h5(declares_a_gibibyte)))
        session.add(job)
        session.commit()
    settings = WorkerSettings(model_base_path=tmp_path / "models")
    before = _rss_bytes()
    try:
        assert run_import(factory, settings, "f" * 32) == JobStatus.FAILED
        with factory() as session:
            failed = session.get(ModelJob, "f" * 32)
            assert failed is not None
            assert "268,435,456 values" in (failed.error or ""), failed.error
    finally:
        engine.dispose()
    assert _rss_bytes() - before < 50 * 2**20
