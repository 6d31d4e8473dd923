"""Rebuilds src/test/fixtures/ from freshly exported untrained models (run from the repo root).

    .venv/bin/python frontend/scripts/make_test_fixtures.py

The graphs of Tiny VGG and of a differently shaped CNN (three 5x5 convs of 8 filters on
48x48) feed the layout tests; a made-up input's bundle, computed by the second model's
SavedModel, feeds the maths tests. No dataset image is used.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from services.common.bundles import build_bundle
from services.pipeline.architecture import Architecture
from services.pipeline.bundle import ModelBundle
from tests.exports import export_untrained

FIXTURES = Path(__file__).resolve().parents[1] / "src" / "test" / "fixtures"
SMALL3 = Architecture(input_size=48, blocks=3, convs_per_block=1, filters=8, kernel_size=5)


def write_graph(version_dir: Path, name: str) -> None:
    described = json.loads((version_dir / "assets.extra" / "model.json").read_text())
    kept = {key: described[key] for key in ("name", "version", "input", "classes", "layers")}
    kept["weights"] = {"tensors": described["weights"]["tensors"]}
    (FIXTURES / f"{name}.model.json").write_text(json.dumps(kept, indent=1))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        write_graph(export_untrained(base, "tiny_vgg", 1, seed=11), "tiny_vgg")
        small3 = export_untrained(base, "small3", 1, arch=SMALL3, seed=3)
        write_graph(small3, "small3")
        model = ModelBundle.open(small3)
        pixels = np.random.default_rng(7).integers(0, 256, size=(48, 48, 3), dtype=np.uint8)
        outputs = model.activations(pixels[None].astype(np.float32) / 255)
        activations = {name: np.asarray(values)[0] for name, values in outputs.items()}
        layers = json.loads((small3 / "assets.extra" / "model.json").read_text())["layers"]
        for all_layers, filename in ((False, "small3.bundle.pb"), (True, "small3.all_layers.pb")):
            bundle = build_bundle(
                model_name="small3",
                model_version=1,
                pixels=pixels,
                layers=layers,
                activations=activations,
                all_layers=all_layers,
            )
            (FIXTURES / filename).write_bytes(bundle.SerializeToString())
        shutil.copy(small3 / "assets.extra" / "weights.bin", FIXTURES / "small3.weights.bin")


if __name__ == "__main__":
    main()
