# syntax=docker/dockerfile:1
# The activation-cache service: gRPC in front of inference, bundles cached in Redis.
# The `activations` extra (TensorFlow, the serving API's stubs, gRPC, Redis); carries the
# committed default model, which seeds the compose file's `models` volume on first start.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `activations` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
# Dependencies before code: a code change does not reinstall TensorFlow.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra activations \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" \
    CNN101_ACTIVATIONS_HOST=0.0.0.0 CNN101_MODEL_BASE_PATH=/app/models
# The mount point of the data folder, owned by the services' user: a new named volume
# mounted here takes its owner, so compose's data-init can download into it.
RUN useradd --create-home --uid 10001 cnn101 && install -d -o cnn101 -g cnn101 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/pipeline ./services/pipeline
COPY services/activations ./services/activations
COPY --chown=10001 models ./models
USER 10001
EXPOSE 8510
CMD ["python", "-m", "services.activations"]
