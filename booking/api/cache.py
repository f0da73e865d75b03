"""A short-lived cache of rendered availability answers.

Availability is the hottest read (everyone refreshes when capacity is due)
and its answer changes only when capacity does. The rendered JSON of an
answer is kept in Django's cache (Redis in production, shared by every
worker; per process without ``REDIS_URL``) for
``GUICHET_AVAILABILITY_CACHE_SECONDS`` (default and at most 1 s), keyed by
the query's parameters and the caller's pools. So a slot that fills is shown
as free for about a second at most, and booking it meanwhile is refused by
the booking service anyway (``slot_full``): the cache can make an answer
stale, never a booking wrong.

Longer lifetimes need the booking services to say when capacity changes: see
the README's Performance section (a per-procedure version bumped on commit of
every capacity change, made part of the key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

from django.conf import settings
from django.core.cache import cache

MAX_SECONDS = 1.0
_PREFIX = "guichet:availability:v1:"


def lifetime() -> float:
    return min(float(getattr(settings, "GUICHET_AVAILABILITY_CACHE_SECONDS", 1.0)), MAX_SECONDS)


def _key(parts: Hashable) -> str:
    return _PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def get(parts: Hashable) -> bytes | None:
    if lifetime() <= 0:
        return None
    return cache.get(_key(parts))


def put(parts: Hashable, body: bytes) -> None:
    seconds = lifetime()
    if seconds > 0:
        cache.set(_key(parts), body, timeout=seconds)
