# syntax=docker/dockerfile:1
# The gateway (the only port students use) with the explorer SPA. The `gateway` extra:
# HTTP, Pillow, gRPC, Redis, Celery's client; no TensorFlow, SQLAlchemy or SciPy.
ARG PYTHON_IMAGE=python:3.11-slim

# The SPA is built in a Python image through nodeenv, as `make frontend` builds it.
FROM ${PYTHON_IMAGE} AS spa
ARG NODE_VERSION=20.19.5
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install "nodeenv>=1.9" && nodeenv --prebuilt --node=${NODE_VERSION} /opt/node
ENV PATH=/opt/node/bin:$PATH
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend ./
RUN npm run build

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# uv reads the lock: the same version as the Makefile and the lock's dev extra pin.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
# The core and the `gateway` extra at exactly their locked versions, every file checked
# against the lock's hashes; the project's own code is copied below, not installed.
RUN uv export --quiet --frozen --no-dev --no-emit-project --extra gateway \
      --format requirements-txt -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1 \
    CNN101_GATEWAY_HOST=0.0.0.0 CNN101_SPA_DIR=/app/frontend/dist
# The mount point of the data folder, owned by the services' user: a new named volume
# mounted here takes its owner, so compose's data-init can download into it.
# /var/lib/cnn101/static: the rendered example files (a named volume takes this owner).
RUN useradd --create-home --uid 10001 cnn101 && install -d -o cnn101 -g cnn101 /data /var/lib/cnn101/static
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services/__init__.py ./services/
COPY services/common ./services/common
COPY services/pipeline ./services/pipeline
COPY services/gateway ./services/gateway
COPY --from=spa /src/frontend/dist ./frontend/dist
USER 10001
EXPOSE 8000
CMD ["python", "-m", "services.gateway.app"]
