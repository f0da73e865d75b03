"""Links that leave the site: in a message, the address is the public one
(``PUBLIC_BASE_URL``), never the host of the request or the worker."""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    """``path`` (from ``reverse``) on the public site."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
