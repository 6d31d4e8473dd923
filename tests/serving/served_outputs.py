"""What "the served activations are the SavedModel's" means once inference runs LiteRT.

The inference service runs each version's LiteRT copy, which the export checked against
the SavedModel to ``services.pipeline.lite.TOLERANCE`` (relative to the output's largest
magnitude, at least 1). The two runtimes' kernels can differ in the last bits of a float32,
so exact equality held for one model's weights and not for the next one's.
"""

from __future__ import annotations

import numpy as np

from services.pipeline.lite import TOLERANCE


def assert_served_matches(served: np.ndarray, saved_model: np.ndarray, name: str) -> None:
    assert served.shape == saved_model.shape, name
    scale = max(1.0, float(np.abs(saved_model).max()))
    error = float(np.abs(served.astype(np.float64) - saved_model).max()) / scale
    assert error <= TOLERANCE, f"{name}: differs by {error:.2e} (relative)"
