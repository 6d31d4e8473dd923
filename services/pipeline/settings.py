"""Configuration of the model pipeline, read from ``CNN101_*`` environment variables.

Every default works on one machine from a fresh clone with ``../shared`` beside it.
"""

from __future__ import annotations

from services.common.settings import SharedSettings


class PipelineSettings(SharedSettings):
    """The shared paths and default model, and where the data set is downloaded from."""

    dataset_url: str = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
    dataset_md5: str = "90528d7ca1a48142e341f4ef8d21d0de"
