# syntax=docker/dockerfile:1
# The model-studio service: data sets, training and import jobs (queued for the model
# worker), publishing. The `studio` extra: FastAPI + SQLAlchemy, Pillow; no TensorFlow, no
# SciPy. It lists the models folder, which compose and Kubernetes mount read-only.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `studio` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra studio \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    CNN101_STUDIO_HOST=0.0.0.0 CNN101_MODEL_BASE_PATH=/app/models
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/database ./services/database
COPY services/pipeline ./services/pipeline
COPY services/studio ./services/studio
USER 10001
EXPOSE 8002
CMD ["python", "-m", "services.studio.app"]
