# syntax=docker/dockerfile:1
# The gateway (the only port students use) with the explorer SPA; no TensorFlow.
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
COPY pyproject.toml infra/docker/requirements.py infra/docker/requirements/gateway.txt ./
RUN python requirements.py pyproject.toml gateway.txt > requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app:/app/proto PYTHONUNBUFFERED=1 \
    CNN101_GATEWAY_HOST=0.0.0.0 CNN101_SPA_DIR=/app/frontend/dist
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY proto ./proto
COPY services ./services
# The worker's task modules (which the gateway queues through) import the study's code.
COPY evaluation ./evaluation
COPY --from=spa /src/frontend/dist ./frontend/dist
USER 10001
EXPOSE 8000
CMD ["python", "-m", "services.gateway.app"]
