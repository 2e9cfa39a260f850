"""The README's configuration table and .env.example name every variable the console reads:
settings.py's, and those of the production layout (ops/serve.py)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _read_variables() -> set[str]:
    settings = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|int|bool|list|path)\(\s*"([A-Z_]+)"', settings))
    serve = (ROOT / "ops" / "serve.py").read_text()
    names |= set(re.findall(r'(?:env\.get|_int)\(\s*(?:env,\s*)?"([A-Z_]+)"', serve))
    return names


def test_every_environment_variable_is_documented() -> None:
    names = _read_variables()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"} <= names
    assert {"WEB_PROCESSES", "PROXY_LISTEN", "RUN_DIR", "PROMETHEUS_MULTIPROC_DIR"} <= names
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"| `{n}` |" not in readme) == []
    assert sorted(n for n in names if not re.search(rf"^{n}=", example, re.MULTILINE)) == []
