"""The trimmed DSFR stylesheet (scripts/build_dsfr_css.py) matches django-dsfr's files
and holds every DSFR class the templates use: a template that starts using a new
component or icon fails here until the bundle is rebuilt."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_dsfr_css", ROOT / "scripts" / "build_dsfr_css.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _defined(css: str, name: str) -> bool:
    return re.search(r"\." + re.escape(name) + r"(?![\w-])", css) is not None


def _styled(css: str, name: str) -> bool:
    """A selector starts with the class (not only ``.fr-search-bar .fr-input--error``)."""
    return re.search(r"(?:^|[{},])\s*\." + re.escape(name) + r"(?![\w-])", css) is not None


def test_the_dsfr_bundle_is_built_from_the_installed_django_dsfr():
    builder = _builder()

    assert builder.OUTPUT.read_text() == builder.build(), (
        "static/css/dsfr-guichet.css is stale: run `.venv/bin/python scripts/build_dsfr_css.py`"
    )


def test_every_dsfr_class_a_template_uses_is_in_the_bundle():
    builder = _builder()
    bundle = builder.OUTPUT.read_text()
    whole = (builder.dist() / "dsfr" / "dsfr.main.min.css").read_text()
    whole += (builder.dist() / "utility" / "utility.main.min.css").read_text()
    used = set()
    for template in (ROOT / "templates").rglob("*.html"):
        if "notifications" not in template.parts:  # e-mails carry their own styles
            used.update(re.findall(r"\b(fr-[a-z0-9_-]*[a-z0-9])", template.read_text()))

    # Classes DSFR does not style on their own (fr-input--error: in its search bar only).
    missing = sorted(n for n in used if _styled(whole, n) and not _defined(bundle, n))

    assert not missing, f"add their component to scripts/build_dsfr_css.py: {missing}"
