"""Build static/css/dsfr-guichet.css: the parts of DSFR that Guichet's pages use.

django-dsfr's ``{% dsfr_css %}`` links the whole of DSFR (dsfr.min.css, 700 KB, with
its Internet Explorer fallbacks) and every one of its 1,600 icon classes
(utility.min.css, 450 KB): about 150 KB compressed on an applicant's first visit,
most of it for components no page shows. This keeps DSFR's core, the components
listed below, and the icon classes the templates name, in DSFR's own order; the
url(...) of fonts and icons are rewritten to point at django-dsfr's files, which
collectstatic then fingerprints.

Run it again after upgrading django-dsfr or using a new DSFR component or icon:

    .venv/bin/python scripts/build_dsfr_css.py

tests/browser/test_page_weight.py fails when the file is stale or a template uses a
DSFR class the bundle lacks.
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "static" / "css" / "dsfr-guichet.css"
TEMPLATES = ROOT / "templates"
# Relative to the bundle's place in STATIC_ROOT (css/), where django-dsfr's files are.
DIST_FROM_OUTPUT = "../dsfr/dist"

# DSFR's packages, in the order dsfr.css stacks them ("main": without the legacy
# Internet Explorer rules). Add a component here when a template starts using it.
PACKAGES = [
    "core/core.main.min.css",
    "component/link/link.main.min.css",
    "component/button/button.main.min.css",
    "component/tag/tag.main.min.css",
    "component/badge/badge.main.min.css",
    "component/breadcrumb/breadcrumb.main.min.css",
    "component/callout/callout.main.min.css",
    "component/form/form.main.min.css",
    "component/checkbox/checkbox.main.min.css",
    "component/radio/radio.main.min.css",
    "component/input/input.main.min.css",
    "component/select/select.main.min.css",
    "component/table/table.main.min.css",
    "component/alert/alert.main.min.css",
    "component/logo/logo.main.min.css",
    "component/pagination/pagination.main.min.css",
    "component/stepper/stepper.main.min.css",
    "component/skiplink/skiplink.main.min.css",
    "component/card/card.main.min.css",
    "component/header/header.main.min.css",
    "component/footer/footer.main.min.css",
    "component/summary/summary.main.min.css",
    "scheme/scheme.min.css",  # (no legacy part to leave out)
]
ICONS = "utility/icons/icons.main.min.css"
# Icons the templates name through a variable, which the scan below cannot see.
EXTRA_ICONS: set[str] = set()

LICENCE = re.compile(r"/\*!\s*\n\s*\* DSFR v[^*]*\*/\s*")
URL = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")
RULE = re.compile(r"[^{}]+\{[^{}]*\}")


def dist() -> Path:
    import dsfr

    return Path(dsfr.__file__).resolve().parent / "static" / "dsfr" / "dist"


def icons_used() -> set[str]:
    names = set(EXTRA_ICONS)
    for template in TEMPLATES.rglob("*.html"):
        names.update(re.findall(r"\bfr-icon-([a-z0-9-]+[a-z0-9])", template.read_text()))
    return names


def _rebase(css: str, source: str) -> str:
    """Point each relative url(...) of ``source`` (a path inside dist/) at the bundle's."""
    folder = posixpath.dirname(source)

    def rebase(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith(("data:", "/", "http:", "https:", "#")):
            return match.group(0)
        return f"url({DIST_FROM_OUTPUT}/{posixpath.normpath(posixpath.join(folder, target))})"

    return URL.sub(rebase, css)


def _icon_rules(css: str, names: set[str]) -> str:
    wanted = re.compile(r"\.fr-icon-(" + "|".join(map(re.escape, sorted(names))) + r")(?![\w-])")
    return "".join(rule for rule in RULE.findall(css) if wanted.search(rule.split("{")[0]))


def build() -> str:
    root = dist()
    first = (root / PACKAGES[0]).read_text()
    licence = LICENCE.search(first).group(0).strip()
    parts = [
        licence,
        "/* Built by scripts/build_dsfr_css.py from django-dsfr's files: do not edit. */",
    ]
    for package in PACKAGES:
        parts.append(_rebase(LICENCE.sub("", (root / package).read_text()), package))
    icons = _icon_rules(LICENCE.sub("", (root / ICONS).read_text()), icons_used())
    parts.append(_rebase(icons, ICONS))
    return "\n".join(parts) + "\n"


def main() -> int:
    OUTPUT.write_text(build())
    print(f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
