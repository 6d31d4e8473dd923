"""Load TensorFlow's generated protocol modules without TensorFlow, and TensorFlow later.

``tensorflow_serving.apis.*_pb2`` import ``tensorflow.core.framework.*_pb2``, and Python runs
``tensorflow/__init__.py`` (all of TensorFlow: 10-15 s of CPU and 0.7 GB on this project's
2-core machine) before any submodule. A process that only speaks the protocol registers a
bare ``tensorflow`` package whose path is the real one, so only the generated ``_pb2``
modules load (0.3 s). That is what lets a restarted activation service or inference server
answer again within seconds (services/supervisor.py). The inference server still needs all
of TensorFlow for a version that has no LiteRT copy: :func:`import_full_tensorflow` then
drops the bare package and imports the real one, keeping the protocol modules loaded.

Only a process's entry point may call :func:`skip_tensorflow_package_init`, before anything
imports TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

_BARE = "__cnn101_bare_package__"
_upgrade = threading.Lock()


def skip_tensorflow_package_init() -> None:
    """Make ``import tensorflow.core...`` load only those modules (see the module's doc)."""
    if "tensorflow" in sys.modules:
        return
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = types.ModuleType("tensorflow", "TensorFlow's generated protocol modules only.")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    setattr(package, _BARE, True)
    sys.modules["tensorflow"] = package


def tensorflow_is_bare() -> bool:
    """Whether this process holds only TensorFlow's protocol modules (so far)."""
    return getattr(sys.modules.get("tensorflow"), _BARE, False) is True


def import_full_tensorflow() -> types.ModuleType:
    """All of TensorFlow, also in a process that started with the bare package."""
    with _upgrade:
        if tensorflow_is_bare():
            del sys.modules["tensorflow"]
        return importlib.import_module("tensorflow")
