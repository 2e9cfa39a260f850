#!/usr/bin/env bash
# The fault drills (bench/faults.py): a database, a Redis and the production layout of their
# own, broken one way after another; results written into docs/operations.md. Arguments go to
# the drill (e.g. --only redis,daphne, --ports 18400-18499). Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh --proxy
scripts/services.sh
exec uv run --frozen python -m bench.faults --write "$@"
