"""Where things live on one machine from a fresh clone: the defaults every service shares.

Each default can be overridden by a ``CNN101_*`` variable (:mod:`services.common.settings`);
these are only what a clone with ``../shared`` beside it needs to run with no settings.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "tiny-imagenet-10"
DEFAULT_MODEL_BASE_PATH = PROJECT_ROOT / "models"
LOCAL_STATE_DIR = PROJECT_ROOT / ".data"
# The study and the model studio keep their tables in one SQLite file unless told otherwise.
DEFAULT_DATABASE_URL = f"sqlite:///{LOCAL_STATE_DIR / 'evaluation.db'}"
# Example bundles and class sprites rendered once per model version by the worker, served as
# static files (services/common/static_layout.py); runtime state, never tracked.
DEFAULT_STATIC_ROOT = LOCAL_STATE_DIR / "static"
