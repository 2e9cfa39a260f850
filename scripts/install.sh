#!/usr/bin/env bash
# Installs what the console needs on a fresh machine: uv, then the locked Python packages.
# With --browser also Debian's Chromium, which the browser tests drive through Playwright, and
# the locked axe-core (package-lock.json) they load into it to check accessibility.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet "uv==${UV_VERSION}"
fi
uv sync --frozen --quiet

apt_install() {
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null
    fi
}

if [[ "${1:-}" == "--browser" ]]; then
    command -v chromium >/dev/null 2>&1 || apt_install chromium
    if [[ ! -f node_modules/axe-core/axe.min.js ]]; then
        command -v npm >/dev/null 2>&1 || apt_install npm
        npm ci --silent --no-audit --no-fund
    fi
fi
