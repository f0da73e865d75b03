"""The demo's one safety catch: demo accounts have a known password and a public
second-factor key, so nothing of the demo runs on a server with DEBUG off
unless asked for by name (``force``)."""

from __future__ import annotations

from django.conf import settings


class DemoRefused(RuntimeError):
    """DEBUG is off and ``force`` was not given; the message says what to do."""


def demo_guard(*, force: bool, refusal: str) -> None:
    """Raise ``DemoRefused(refusal)`` when DEBUG is off and ``force`` is false."""
    if not settings.DEBUG and not force:
        raise DemoRefused(refusal)
