#!/usr/bin/env bash
# Every benchmark in bench/ (each bench/*_bench.py), one after the other, on PostgreSQL and Redis.
# Arguments go to every benchmark (each takes --quick). A failing benchmark does not stop the
# others, but fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh
scripts/services.sh

shopt -s nullglob
failed=()
for file in bench/*_bench.py; do
    name="$(basename "$file" .py)"
    echo "== ${name}"
    if ! uv run --frozen python -m "bench.${name}" "$@"; then
        failed+=("${name}")
    fi
    echo
done
if ((${#failed[@]})); then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
