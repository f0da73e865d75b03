"""Joining the waiting list through the API, as the join's tests do."""

from __future__ import annotations

WAITLIST = "/api/v1/waitlist/"


def join_by_api(api, procedure, *sites, **extra):
    """``POST /api/v1/waitlist/`` by ``api`` for ``procedure`` at ``sites``."""
    body = {"procedure": procedure.slug, "sites": [site.slug for site in sites], **extra}
    return api.post(WAITLIST, body, format="json")
