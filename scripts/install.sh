#!/usr/bin/env bash
# Installs what the console needs on a fresh machine: uv, then the locked Python packages.
# Options add Debian packages (each installed only when missing):
#   --browser  Chromium, which the browser tests drive through Playwright, and the locked
#              axe-core (package-lock.json) they load into it to check accessibility
#   --proxy    nginx, the reverse proxy of the production layout (`make serve`, its tests)
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

browser=0
missing=()
for option in "$@"; do
    case "$option" in
        --browser)
            browser=1
            command -v chromium >/dev/null 2>&1 || missing+=(chromium)
            ;;
        --proxy)
            # Debian installs it in /usr/sbin, not on every user's PATH.
            [[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
            ;;
        *)
            echo "install.sh: unknown option $option" >&2
            exit 2
            ;;
    esac
done
if ((${#missing[@]})); then
    apt_install "${missing[@]}"
fi

if ((browser)) && [[ ! -f node_modules/axe-core/axe.min.js ]]; then
    command -v npm >/dev/null 2>&1 || apt_install npm
    npm ci --silent --no-audit --no-fund
fi
