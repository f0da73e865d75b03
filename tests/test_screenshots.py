"""``make screenshots`` (scripts/screenshots.py) stays true to the site, in seconds.

Running it takes a server, the demo data and a browser for minutes; here its
page list is held to the URL resolver instead: every page it opens resolves
to the route it names, every route it follows exists, and the PNGs kept in
docs/screenshots/ are all pages of that list.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver, resolve

from demo.seed import DEMO_DOMAIN, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "screenshots.py"
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _script():
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


screenshots = _script()
DEMO = screenshots.Demo(
    procedure="renouvellement", site="bobigny", applicant_pk=7, reference="K7M2QX"
)


def _routes(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _routes(pattern.url_patterns, inner)
        elif pattern.name:
            names.add(namespace + pattern.name)
    return names


@pytest.mark.parametrize("shot", screenshots.SHOTS, ids=lambda shot: f"{shot.role}-{shot.name}")
def test_every_page_of_the_script_is_a_route_of_the_site(shot):
    assert shot.route in _routes(get_resolver().url_patterns)
    if shot.url is not None:
        assert resolve(shot.url(DEMO)).view_name == shot.route
    else:
        assert shot.follow, "a page with no address is reached by following a link"


def test_every_role_has_pages_and_every_file_name_is_unique():
    shots = screenshots.SHOTS
    assert {shot.role for shot in shots} == set(screenshots.ROLES)
    names = [shot.filename("fr", "phone") for shot in shots]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z]+-[a-z-]+\.fr\.phone\.png", name) for name in names)
    # Following a link needs the page before it, of the same role.
    for before, shot in itertools.pairwise(shots):
        if shot.url is None:
            assert before.role == shot.role


def test_the_languages_are_french_and_arabic_as_far_as_the_settings_offer_them(settings):
    settings.LANGUAGES = [("fr", "French"), ("en", "English")]
    assert screenshots.languages() == ["fr"]

    settings.LANGUAGES = [("fr", "French"), ("en", "English"), ("ar", "Arabic")]
    assert screenshots.languages() == ["fr", "ar"]


def test_the_demo_credentials_are_read_from_the_seed_not_written_again():
    source = SCRIPT.read_text()

    assert DEMO_DOMAIN not in source
    assert DEMO_PASSWORD not in source
    assert set(screenshots.credentials()) == set(screenshots.ROLES) - {"anonymous"}


def test_the_kept_screenshots_are_pages_of_the_list():
    expected = {
        shot.filename(language, width)
        for shot in screenshots.SHOTS
        for language in screenshots.WANTED_LANGUAGES
        for width in screenshots.WIDTHS
    }
    kept = {path.name for path in SCREENSHOTS.glob("*.png")}

    assert kept, "make screenshots has not been run"
    assert kept <= expected, sorted(kept - expected)
    readme = (ROOT / "README.md").read_text()
    for shown in re.findall(r"docs/screenshots/([\w.-]+\.png)", readme):
        assert shown in kept, shown
