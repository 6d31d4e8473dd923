# One image for every Python service (inference, activations, gateway, worker); the
# compose file picks the command. Multi-stage: dependencies are built in a full image and
# copied into a slim runtime that runs as an unprivileged user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY services ./services
COPY evaluation ./evaluation
COPY proto ./proto
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=""
RUN useradd --create-home --uid 10001 cnn101
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER cnn101
