"""The proof-of-work switched on with real values for a test module
(``enabled``, autouse where imported), a client's solution of a challenge, and
what the pages say when the check refuses, in French. The rest of the suite
runs with the check off (config/settings_test.py)."""

from __future__ import annotations

import base64
import hashlib
import html
import json

import altcha
import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from core import antibot

ON = {"ANTIBOT_ENABLED": True, "ANTIBOT_MAX_NUMBER": 2000, "ANTIBOT_NOSCRIPT_WAIT_SECONDS": 5}


def _in_french(text: str) -> str:
    """``text`` as the pages show it (French, the language of a page without
    another choice), HTML-escaped as the templates write it."""
    with translation.override("fr"):
        return html.escape(translation.gettext(text))


# What the pages say, in French: the refusal without a solution, and the wait
# without JavaScript (the start of its sentence, before the number of seconds).
REQUIRED = _in_french(
    "The form was sent without the anti-robot check. Please reload the page and send it again."
).split(".")[0]
with translation.override("fr"):
    TOO_EARLY = html.escape(
        translation.ngettext(
            "Please wait %(seconds)d more second, then send the form again.",
            "Please wait %(seconds)d more seconds, then send the form again.",
            2,
        )
    ).split("%")[0]


@pytest.fixture(autouse=True)
def enabled():
    cache.clear()
    with override_settings(**ON):
        yield
    cache.clear()


def solution(issued: dict | None = None, /, **changes) -> str:
    """A challenge from the server solved as a client does (the library's solver)."""
    challenge = issued or antibot.challenge_create()
    found = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    payload = {**challenge, "number": found.number, **changes}
    payload.pop("maxnumber")
    return base64.b64encode(json.dumps(payload).encode()).decode()


def solved_by_hand(challenge: dict) -> str:
    """The documented recipe, without the library: SHA-256 of salt + number."""
    number = next(
        n
        for n in range(challenge["maxnumber"] + 1)
        if hashlib.sha256(f"{challenge['salt']}{n}".encode()).hexdigest() == challenge["challenge"]
    )
    return base64.b64encode(json.dumps({**challenge, "number": number}).encode()).decode()
