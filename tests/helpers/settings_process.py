"""``config.settings`` loaded in a subprocess with a clean environment, so that
neither the test settings nor a developer's ``.env`` leak in."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# config/settings.py and the two modules it loads Guichet's rules and limits from.
SETTINGS_FILES = [ROOT / "config" / name for name in ("settings.py", "rules.py", "ratelimits.py")]
_ENV_READ = re.compile(r"\benv_(?:str|bool|int|list|rate|networks)\(\s*\"([A-Z][A-Z0-9_]*)\"")


def settings_variables() -> set[str]:
    """Every environment variable that the settings read (``SETTINGS_FILES``)."""
    return {name for path in SETTINGS_FILES for name in _ENV_READ.findall(path.read_text())}


def run_settings(command: list[str], **variables: str) -> subprocess.CompletedProcess:
    """Run ``command`` with config.settings and only ``variables`` set.

    Every other variable the settings read is set to the empty string, which
    the helpers treat as unset and which keeps a local .env from filling it in.
    """
    env = {name: "" for name in settings_variables()}
    env.update({name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ})
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(variables)
    return subprocess.run(  # noqa: S603 - our own command line
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def django_setup(**variables: str) -> subprocess.CompletedProcess:
    return run_settings([sys.executable, "-c", "import django; django.setup()"], **variables)


def production_key() -> str:
    key = secrets.token_urlsafe(48)
    assert len(key) == 64
    return key
