#!/usr/bin/env bash
# The whole test suite: lint, format, types, import contracts, migrations, then pytest on
# PostgreSQL and Redis.
# Any failure fails the run. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh --browser --proxy
scripts/services.sh

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/handoff}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}"
export SECRET_KEY="test-only-secret-key-not-for-production"
# A fixed test key: the tests check that columns hold ciphertext, not which ciphertext.
export FIELD_ENCRYPTION_KEYS="test:ZmRlLXRlc3Qta2V5LW9ubHktMzItYnl0ZXMtbG9uZyE="
export TESTING=1
# Redis pub/sub channels are shared by every database number on a server: a run of its own
# prefix hears only its own pushes, whatever else uses the same Redis.
export CHANNEL_PREFIX="${CHANNEL_PREFIX:-test$$}"

echo "== ruff check";   uv run --frozen ruff check .
echo "== ruff format";  uv run --frozen ruff format --check .
echo "== mypy";         uv run --frozen mypy .
echo "== imports";      uv run --frozen lint-imports  # the contracts in pyproject.toml
# Against the server's maintenance database: the suite's own is created by pytest, and a missing
# one would only make makemigrations warn that it cannot compare the applied history.
echo "== migrations";   DATABASE_URL="${DATABASE_URL%/*}/postgres" \
    uv run --frozen python manage.py makemigrations --check --dry-run
echo "== pytest";       uv run --frozen pytest "$@"
