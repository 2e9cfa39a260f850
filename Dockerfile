# syntax=docker/dockerfile:1
# The console's image: daphne, the Celery worker and beat all run from it (compose.yaml).
# This repository's machine has no Docker engine and no registry of base images: the file is
# linted (hadolint, tests/ops/test_containers.py), not built, here.

# --- build: the locked packages in a virtual environment, and the static files ---------------
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11-slim-bookworm AS build
COPY --from=uv /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# The lock alone first: the dependency layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev
COPY . .
# Static files at build time, in the embedded default (no database or Redis needed): the
# image serves them with whitenoise and never writes them again.
RUN DATA_DIR=/tmp/build-data STATIC_ROOT=/app/staticfiles \
    /app/.venv/bin/python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-data

# --- runtime: the environment and the code, owned by root, run by an unprivileged user --------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 handoff \
    && useradd --system --uid 10001 --gid handoff --no-create-home --shell /usr/sbin/nologin handoff
WORKDIR /app
COPY --from=build /app /app
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles \
    DATA_DIR=/tmp/handoff
USER 10001:10001
EXPOSE 8000
# Liveness of the web process (the worker and beat services of compose.yaml turn it off).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "ops.healthcheck"]
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "config.asgi:application"]
