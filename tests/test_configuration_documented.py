"""The README's configuration table and .env.example name every variable settings.py reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_is_documented() -> None:
    settings = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|int|bool|list|path)\(\s*"([A-Z_]+)"', settings))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"} <= names
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"| `{n}` |" not in readme) == []
    assert sorted(n for n in names if not re.search(rf"^{n}=", example, re.MULTILINE)) == []
