"""Content-Security-Policy (django-csp): on every page, no inline script nor
style allowed; our templates carry none. The browser test (tests/browser/
test_csp.py) checks that Chromium refuses nothing on the main pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# E-mails are not pages: mail clients ignore stylesheets, so they keep inline styles.
EMAIL_TEMPLATES = TEMPLATES / "notifications"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "name", ["home", "accounts:login", "accounts:register", "mediation:points", "admin:login"]
)
def test_pages_forbid_inline_scripts_and_styles(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_error_pages_lock_out_and_429_pages_carry_the_policy_too(client, settings):
    settings.RATELIMITS = {"register": {"ip": (1, 60)}}
    from django.core.cache import cache

    cache.clear()
    data = {"email": "x@example.test", "password": "p", "phone": "0612345678", "consent": "on"}
    client.post(reverse("accounts:register"), data)
    limited = client.post(reverse("accounts:register"), data)
    cache.clear()

    assert limited.status_code == 429
    assert _policy(limited)["script-src"] == ["'self'"]


def test_api_docs_allow_only_their_own_nonced_style_and_no_inline_script(client):
    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    html = response.content.decode()
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    nonce = re.search(r"<style nonce=\"([^\"]+)\">", html).group(1)
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    # Every <script> has a src: the start-up script is served from the docs URL.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_admin_keeps_working_under_the_policy(client):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    from tests.auth import login

    login(client, admin)
    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def _our_page_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if EMAIL_TEMPLATES in path.parents:
            continue
        yield path


def test_no_template_of_ours_has_an_inline_script_style_or_event_handler():
    offenders = []
    for path in _our_page_templates():
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",  # an inline script
            r"<style(?![^>]*\bnonce=)[^>]*>",  # an inline style sheet without a nonce
            r"\sstyle=",  # a style attribute
            r"\son[a-z]+=",  # an event handler
            r"=\s*[\"']javascript:",  # a javascript: link
        ):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


def test_production_keeps_the_policy():
    """The deploy check itself runs in tests/test_settings.py (production settings)."""
    assert "core.csp.CSPMiddleware" in settings.MIDDLEWARE
    middleware = settings.MIDDLEWARE
    # Outside the lock-out and rate-limit answers, so that they carry the header.
    assert middleware.index("core.csp.CSPMiddleware") < middleware.index(
        "axes.middleware.AxesMiddleware"
    )


def test_a_plain_client_sees_no_nonce_on_ordinary_pages():
    response = Client().get(reverse("home"))
    assert "nonce-" not in response["Content-Security-Policy"]


def test_json_answers_get_the_strictest_policy(client):
    """A JSON answer loads nothing and cannot be framed, whatever the page policy."""
    response = client.get("/api/v1/no-such-endpoint/")

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
