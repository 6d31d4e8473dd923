# syntax=docker/dockerfile:1
# The model studio's worker: trains variants and imports models (the `models` queue), one
# job at a time, and exports them into the models volume the inference service watches.
# Needs TensorFlow (the whole dependency list) and the evaluation package (the job rows).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml infra/docker/requirements.py ./
# Dependencies before code: a code change does not reinstall TensorFlow.
RUN python requirements.py pyproject.toml > requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" CNN101_MODEL_BASE_PATH=/app/models
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services ./services
COPY evaluation ./evaluation
USER 10001
CMD ["python", "-m", "celery", "-A", "services.worker.app", "worker", "-Q", "models", "--concurrency", "1", "--hostname", "models@%h"]
