#!/usr/bin/env bash
# The production layout on this machine (ops/serve.py): nginx in front of WEB_PROCESSES daphne
# processes, a Celery worker and beat, under one supervisor, against DATABASE_URL and REDIS_URL.
# Installs nginx if missing, applies migrations and collects static files, then runs in the
# foreground until SIGTERM or Ctrl-C, which stop everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" || -z "${REDIS_URL:-}" ]]; then
    echo "make serve: set DATABASE_URL and REDIS_URL (and SECRET_KEY, FIELD_ENCRYPTION_KEYS);" \
        "for the one-process demo use make demo" >&2
    exit 2
fi
scripts/install.sh --proxy
uv run --frozen python manage.py migrate --noinput
uv run --frozen python manage.py collectstatic --noinput --verbosity 0
exec uv run --frozen python -m ops.serve
