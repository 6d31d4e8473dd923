# syntax=docker/dockerfile:1
# The inference service: our gRPC server with TensorFlow Serving's API over the SavedModels.
# Needs TensorFlow (the whole dependency list); carries the committed default model, which
# seeds the compose file's `models` volume on first start.
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
    TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" \
    CNN101_INFERENCE_HOST=0.0.0.0 CNN101_MODEL_BASE_PATH=/app/models
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services ./services
COPY --chown=10001 models ./models
USER 10001
EXPOSE 8500
CMD ["python", "-m", "services.inference.server"]
