#!/usr/bin/env bash
# Installs what the console needs on a fresh machine: uv, then the locked Python packages.
# With --browser also Debian's Chromium, which the browser tests drive through Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet "uv==${UV_VERSION}"
fi
uv sync --frozen --quiet

if [[ "${1:-}" == "--browser" ]] && ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
    fi
fi
