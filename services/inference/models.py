"""One loaded model version: its SignatureDefs and a checked call of each signature.

The SignatureDefs are read from ``saved_model.pb`` itself, so metadata is what TF Serving
reports for the same folder, and requests are checked against them before they run: a
SavedModel function does not check shapes itself (a wrong image size fails deep inside the
graph, or not at all), and a request must fail with a message the caller can act on.
A batch runs in chunks (:meth:`Servable.run`), so a caller that has gone is noticed between
two of them and only one chunk's intermediate tensors are alive at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tensorflow.core.protobuf import saved_model_pb2

from services.common.model_store import model_fingerprint
from services.common.tensor_protos import (
    TensorConversionError,
    array_dtype_name,
    dtype_name,
    numpy_dtype,
)
from services.inference.runtimes import RuntimeChoice, load_runtime

DEFAULT_SIGNATURE = "serving_default"
SERVING_TAG = "serve"
SAVED_MODEL_PB = "saved_model.pb"


class ChunkWatcher(Protocol):
    """Told about each chunk of a batch; ``before_chunk`` raises to stop the batch there."""

    def before_chunk(self) -> None: ...

    def after_chunk(self, images: int, outputs: Mapping[str, np.ndarray]) -> None: ...


class _Unwatched:
    def before_chunk(self) -> None:
        pass

    def after_chunk(self, images: int, outputs: Mapping[str, np.ndarray]) -> None:
        pass


@dataclass(frozen=True)
class Warmup:
    """How a version was warmed up before it was served: requests replayed, from where."""

    requests: int
    source: str
    seconds: float


class RequestError(ValueError):
    """The request does not fit the model or the signature (INVALID_ARGUMENT)."""


class SignatureNotFoundError(LookupError):
    """The version has no such signature (FAILED_PRECONDITION, as in TF Serving)."""


def _shape_text(dims: Sequence[int]) -> str:
    return "[" + ", ".join("?" if d < 0 else str(d) for d in dims) + "]"


def check_input(alias: str, info: Any, value: np.ndarray) -> None:
    """Raise :class:`RequestError` unless ``value`` has the dtype and shape of ``info``."""
    expected = dtype_name(info.dtype)
    if array_dtype_name(value) != expected:
        raise RequestError(f"input '{alias}' must be {expected}, got {array_dtype_name(value)}")
    if info.tensor_shape.unknown_rank:
        return
    dims = [d.size for d in info.tensor_shape.dim]
    fits = len(dims) == value.ndim and all(
        d < 0 or d == n for d, n in zip(dims, value.shape, strict=True)
    )
    if not fits:
        raise RequestError(
            f"input '{alias}' must have shape {_shape_text(dims)} (? = any size), "
            f"got {list(value.shape)}"
        )


class Runtime(Protocol):
    """What computes a loaded version's signatures: TensorFlow or its LiteRT copy."""

    name: str

    def signatures(self) -> set[str]: ...

    def call(
        self, signature: str, inputs: Mapping[str, np.ndarray], wanted: Sequence[str]
    ) -> dict[str, np.ndarray]: ...


def output_sizes(signature: Any) -> dict[str, float]:
    """Bytes per image of each of a SignatureDef's outputs, from its shapes.

    A dimension the SignatureDef leaves open counts as 1 (the estimate is then a lower
    bound; the first chunk's real size is checked too); an output without a batch
    dimension does not grow with the batch and counts 0, left to the fixed allowance.
    """
    sizes: dict[str, float] = {}
    for alias, info in signature.outputs.items():
        try:
            itemsize = numpy_dtype(info.dtype).itemsize
        except TensorConversionError:
            continue
        if info.tensor_shape.unknown_rank or not info.tensor_shape.dim:
            continue
        dims = [d.size for d in info.tensor_shape.dim]
        per_item = itemsize * math.prod(max(d, 1) for d in dims[1:])
        sizes[alias] = float(per_item) if dims[0] < 0 else 0.0
    return sizes


@dataclass(frozen=True)
class Servable:
    """A loaded version: ``signature_defs`` (protos, by key) and the runtime behind them."""

    name: str
    version: int
    path: Path
    signature_defs: Mapping[str, Any]
    runtime: Runtime
    # Of the exported files (services/common/model_store.py), sent with every answer.
    fingerprint: str = ""
    # Bytes per image of each output that grows with the batch, by signature: read from the
    # SignatureDefs once, not on every Predict (its size check needs them before running).
    output_sizes: Mapping[str, Mapping[str, float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sizes = {
            key: output_sizes(signature_def) for key, signature_def in self.signature_defs.items()
        }
        object.__setattr__(self, "output_sizes", sizes)

    def bytes_per_image(self, signature_name: str, outputs: Sequence[str]) -> float:
        """Bytes of ``outputs`` of one image (see :func:`output_sizes`)."""
        sizes = self.output_sizes[signature_name]
        return sum(sizes.get(alias, 0.0) for alias in outputs)

    @property
    def runnable(self) -> set[str]:
        """The signatures this version can run."""
        return self.runtime.signatures() & set(self.signature_defs)

    def signature(self, name: str) -> Any:
        """The SignatureDef called ``name``, if this version can run it."""
        if name not in self.runnable:
            known = ", ".join(sorted(self.runtime.signatures()))
            raise SignatureNotFoundError(
                f'Serving signature key "{name}" not found. Known: {known}.'
            )
        return self.signature_defs[name]

    def run(
        self,
        signature_name: str,
        inputs: Mapping[str, np.ndarray],
        output_filter: Sequence[str] = (),
        *,
        chunk_images: int = 0,
        watcher: ChunkWatcher | None = None,
    ) -> dict[str, np.ndarray]:
        """Run a signature on checked inputs; return the outputs ``output_filter`` names.

        With ``chunk_images`` > 0 a batchable signature runs that many images at a time
        into preallocated outputs; ``watcher`` sees every chunk and may stop the batch.
        """
        signature = self.signature(signature_name)
        missing = sorted(set(signature.inputs) - set(inputs))
        extra = sorted(set(inputs) - set(signature.inputs))
        if missing or extra:
            raise RequestError(
                f"inputs do not match signature '{signature_name}': "
                f"missing {missing}, unexpected {extra}"
            )
        for alias, value in inputs.items():
            check_input(alias, signature.inputs[alias], value)
        wanted = wanted_outputs(signature, output_filter)
        watcher = watcher or _Unwatched()
        batch = batch_of(signature, wanted, inputs)
        if batch is None or chunk_images <= 0 or batch <= chunk_images:
            watcher.before_chunk()
            outputs = self._call(signature_name, inputs, wanted)
            watcher.after_chunk(batch or 0, outputs)
            return outputs
        results: dict[str, np.ndarray] = {}
        for start in range(0, batch, chunk_images):
            watcher.before_chunk()
            end = min(start + chunk_images, batch)
            part = self._call(signature_name, {a: v[start:end] for a, v in inputs.items()}, wanted)
            for alias, value in part.items():
                if value.ndim == 0 or value.shape[0] != end - start:
                    raise RuntimeError(
                        f"output '{alias}' of a {end - start}-image chunk has shape "
                        f"{list(value.shape)}: its first dimension is not the batch"
                    )
                if alias not in results:
                    results[alias] = np.empty((batch, *value.shape[1:]), value.dtype)
                results[alias][start:end] = value
            watcher.after_chunk(end - start, part)
        return results

    def _call(
        self, signature_name: str, inputs: Mapping[str, np.ndarray], wanted: Sequence[str]
    ) -> dict[str, np.ndarray]:
        return self.runtime.call(signature_name, inputs, wanted)


def _batched(info: Any) -> bool:
    """Whether a TensorInfo's first dimension is an open batch dimension."""
    shape = info.tensor_shape
    return not shape.unknown_rank and len(shape.dim) > 0 and shape.dim[0].size < 0


def batch_of(signature: Any, wanted: Sequence[str], inputs: Mapping[str, np.ndarray]) -> int | None:
    """The batch size if the call can be split into chunks, else None.

    It can when every input and wanted output of the SignatureDef has an open first
    dimension and the inputs agree on it: then images are computed independently.
    """
    infos = [signature.inputs[a] for a in inputs] + [signature.outputs[a] for a in wanted]
    sizes = {value.shape[0] for value in inputs.values() if value.ndim > 0}
    if not inputs or len(sizes) != 1 or not all(_batched(info) for info in infos):
        return None
    return int(sizes.pop())


def wanted_outputs(signature: Any, output_filter: Sequence[str]) -> list[str]:
    """The aliases ``output_filter`` names (all when empty), each once and each known."""
    unknown = [alias for alias in output_filter if alias not in signature.outputs]
    if unknown:
        raise RequestError(
            f"output tensor alias not found in signature: {', '.join(unknown)}. "
            f"Outputs expected to be in the set {{{','.join(sorted(signature.outputs))}}}."
        )
    if len(set(output_filter)) != len(output_filter):
        raise RequestError(f"duplicate output tensor alias in output_filter: {output_filter}")
    return list(output_filter) or list(signature.outputs)


def read_signature_defs(version_dir: Path) -> Mapping[str, Any]:
    """The SignatureDefs of the ``serve`` meta graph, as TF Serving reads them."""
    saved_model = saved_model_pb2.SavedModel.FromString((version_dir / SAVED_MODEL_PB).read_bytes())
    for meta_graph in saved_model.meta_graphs:
        if SERVING_TAG in meta_graph.meta_info_def.tags:
            return dict(meta_graph.signature_def)
    raise ValueError(f"{version_dir} has no meta graph tagged '{SERVING_TAG}'")


def load_servable(
    name: str, version: int, version_dir: Path, runtime: RuntimeChoice = "auto"
) -> Servable:
    """Load ``version_dir``: its LiteRT copy when it has a valid one (and ``runtime`` allows),
    else the SavedModel with TensorFlow (imported only then). Errors reach the caller."""
    fingerprint = model_fingerprint(version_dir)  # before loading: never newer than the load
    signature_defs = read_signature_defs(version_dir)
    return Servable(
        name,
        version,
        version_dir,
        signature_defs,
        load_runtime(version_dir, SERVING_TAG, runtime),
        fingerprint,
    )
