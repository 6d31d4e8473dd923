# syntax=docker/dockerfile:1
# The inference service: our gRPC server with TensorFlow Serving's API over the SavedModels.
# The `inference` extra (TensorFlow, the serving API, gRPC); carries the committed default
# model, which seeds the compose file's `models` volume on first start.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `inference` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
# Dependencies before code: a code change does not reinstall TensorFlow.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra inference \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" \
    CNN101_INFERENCE_HOST=0.0.0.0 CNN101_MODEL_BASE_PATH=/app/models
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/inference ./services/inference
COPY --chown=10001 models ./models
USER 10001
EXPOSE 8500
CMD ["python", "-m", "services.inference"]
