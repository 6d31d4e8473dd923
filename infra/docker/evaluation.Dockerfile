# syntax=docker/dockerfile:1
# The evaluation (study) service: FastAPI + SQLAlchemy on PostgreSQL; no TensorFlow.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml infra/docker/requirements.py infra/docker/requirements/evaluation.txt ./
RUN python requirements.py pyproject.toml evaluation.txt > requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    CNN101_EVALUATION_HOST=0.0.0.0
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY evaluation ./evaluation
# Report builds are queued with the worker's broker setting (services/worker/settings.py).
COPY services ./services
USER 10001
EXPOSE 8001
CMD ["python", "-m", "evaluation.app"]
