# syntax=docker/dockerfile:1
# The Celery worker: cache warm-up (with the beat scheduler that watches model versions)
# and the study's report builds. The `worker` extra: Celery, gRPC, SQLAlchemy and SciPy for
# the reports; no TensorFlow (training and imports run in the model worker's image).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `worker` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra worker \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1
# The mount point of the data folder, owned by the services' user: a new named volume
# mounted here takes its owner, so compose's data-init can download into it.
# /var/lib/cnn101/static: the rendered example files (a named volume takes this owner).
RUN useradd --create-home --uid 10001 cnn101 && install -d -o cnn101 -g cnn101 /data /var/lib/cnn101/static
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/database ./services/database
COPY services/pipeline ./services/pipeline
COPY services/studio ./services/studio
COPY services/worker ./services/worker
# The report builds run the study's code.
COPY evaluation ./evaluation
USER 10001
CMD ["python", "-m", "celery", "-A", "services.worker.app", "worker", "-Q", "warm,reports,celery", "--concurrency", "1"]
