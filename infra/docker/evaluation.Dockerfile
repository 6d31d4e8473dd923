# syntax=docker/dockerfile:1
# The evaluation (study) service: FastAPI + SQLAlchemy on PostgreSQL. The `study` extra:
# no TensorFlow.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `study` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra study \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    CNN101_EVALUATION_HOST=0.0.0.0
RUN useradd --create-home --uid 10001 cnn101
# The uploaded study material's volume takes this folder's owner when first mounted.
RUN mkdir -p /var/lib/cnn101/study-material && chown 10001 /var/lib/cnn101/study-material
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/database ./services/database
COPY evaluation ./evaluation
USER 10001
EXPOSE 8001
CMD ["python", "-m", "evaluation.app"]
