# syntax=docker/dockerfile:1
# The Celery worker: cache warm-up (with the beat scheduler that watches model versions)
# and the study's report builds (so it carries the evaluation package and the database driver).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml infra/docker/requirements.py infra/docker/requirements/worker.txt ./
RUN python requirements.py pyproject.toml worker.txt > requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services ./services
COPY evaluation ./evaluation
USER 10001
CMD ["python", "-m", "celery", "-A", "services.worker.app", "worker", "-B", "-Q", "warm,reports,celery", "--concurrency", "1", "--schedule", "/tmp/beat-schedule"]
