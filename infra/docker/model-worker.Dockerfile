# syntax=docker/dockerfile:1
# The model studio's worker: trains variants and imports models (the `models` queue), one
# job at a time, and exports them into the models volume the inference service watches. The
# `model-worker` extra: the worker's packages and TensorFlow. It also carries the `cnn101`
# command (services/cli.py), which compose's data-init runs to download the data set.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `model-worker` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
# Dependencies before code: a code change does not reinstall TensorFlow.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra model-worker \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" CNN101_MODEL_BASE_PATH=/app/models
# The mount point of the data folder, owned by the services' user: a new named volume
# mounted here takes its owner, so compose's data-init can download into it.
RUN useradd --create-home --uid 10001 cnn101 && install -d -o cnn101 -g cnn101 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/database ./services/database
COPY services/pipeline ./services/pipeline
COPY services/studio ./services/studio
COPY services/worker ./services/worker
COPY evaluation ./evaluation
COPY services/cli.py services/runner.py services/supervisor.py ./services/
USER 10001
CMD ["python", "-m", "celery", "-A", "services.worker.app", "worker", "-Q", "models", "--concurrency", "1", "--hostname", "models@%h"]
