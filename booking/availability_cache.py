"""Rendered availability answers, kept until capacity changes.

Availability is the hottest read (everyone refreshes when capacity is due).
The rendered JSON of an answer is kept in Django's cache, keyed by the
query's parameters and the caller's pools, with what it depends on:

- the **generation** of its procedure (and the global one) when it was
  computed. Every change of capacity draws a new generation once committed:
  a booking, a cancellation, a reschedule (``booking.services``), a
  publication, and any save or delete of a slot, site or procedure (the
  admin; ``booking.signals``) draws the global one;
- the moment it **changes by itself**, with no write: the first slot in it
  passes the procedure's cut-off, an unpublished slot of its window becomes
  visible at its ``published_at``, the next slot enters its window at the
  horizon (``AvailabilityView`` computes it with the answer).

An answer is served while its generations are current and that moment has
not come, for ``GUICHET_AVAILABILITY_CACHE_LONG_SECONDS`` at most (default
30; only when the cache is shared by the processes, Redis in production: a
per-process cache would miss the other processes' changes); and, whatever
changed, for ``GUICHET_AVAILABILITY_CACHE_SECONDS`` (default and at most 1 s)
after it was computed, which is what protects the database in a storm, when
bookings change the generation continuously. So a slot that fills is shown
as free for a second at most, and booking it meanwhile is refused anyway
(``slot_full``): the cache can make an answer stale, never a booking wrong.

The generation is read before the answer is computed: a change committed
meanwhile leaves the answer with the older generation, served for the second
only. A generation is a random token, never a counter that could come back.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

MAX_SECONDS = 1.0
_PREFIX = "guichet:availability:v2:"
_GLOBAL = "*"


def lifetime() -> float:
    """How long an answer is served whatever changed (at most a second)."""
    return min(float(getattr(settings, "GUICHET_AVAILABILITY_CACHE_SECONDS", 1.0)), MAX_SECONDS)


def long_lifetime() -> float:
    """How long an answer is served while nothing changed (0: not at all)."""
    if not shared():
        return 0.0
    return max(0.0, float(getattr(settings, "GUICHET_AVAILABILITY_CACHE_LONG_SECONDS", 30)))


def shared() -> bool:
    """Whether every process sees the same cache (and so every change)."""
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def _clock() -> float:
    return time.time()


def _key(parts: Hashable) -> str:
    return _PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def _generation_key(procedure: str) -> str:
    return f"{_PREFIX}generation:{procedure}"


@dataclass(frozen=True)
class Lookup:
    """What ``lookup`` found: the answer, or the generation to store one with."""

    body: bytes | None
    generation: tuple[str, str] | None


def lookup(parts: Hashable, procedure: str | None) -> Lookup:
    """The answer kept for ``parts`` if it may still be served; else the
    current generation of ``procedure`` (a slug as sent), for ``store``."""
    if lifetime() <= 0:
        return Lookup(None, None)
    if long_lifetime() <= 0:
        return Lookup(cache.get(_key(parts)), None)
    keys = [_key(parts), _generation_key(_GLOBAL), _generation_key(str(procedure))]
    found = cache.get_many(keys)
    generation = (
        found.get(keys[1]) or _generation_start(keys[1]),
        found.get(keys[2]) or _generation_start(keys[2]),
    )
    entry = found.get(keys[0])
    if isinstance(entry, tuple):
        stored_generation, stored_at, valid_until, body = entry
        now = _clock()
        if now - stored_at < lifetime():
            return Lookup(body, generation)
        if stored_generation == generation and now < valid_until:
            return Lookup(body, generation)
    return Lookup(None, generation)


def _generation_start(key: str) -> str:
    """A generation for a key that has none yet (or lost it): never one an
    answer was stored with."""
    cache.add(key, secrets.token_hex(8), timeout=None)
    return cache.get(key) or ""


def store(parts: Hashable, found: Lookup, body: bytes, *, changes_at: float | None) -> None:
    """Keep ``body`` for ``parts``; ``changes_at`` (a timestamp) is when it
    changes by itself, ``None`` if it does not."""
    seconds = lifetime()
    if seconds <= 0:
        return
    longest = long_lifetime()
    if longest <= 0 or found.generation is None:
        cache.set(_key(parts), body, timeout=seconds)
        return
    now = _clock()
    valid_until = now + longest if changes_at is None else min(now + longest, changes_at)
    timeout = max(seconds, valid_until - now)
    cache.set(_key(parts), (found.generation, now, valid_until, body), timeout=timeout)


def capacity_changed(procedures: Iterable[str] | None = None) -> None:
    """Once the current transaction commits (at once outside one): answers
    about ``procedures`` (slugs; ``None``: every procedure) are out of date."""
    if not shared():
        return
    names = [_GLOBAL] if procedures is None else sorted(set(procedures))
    transaction.on_commit(lambda: _new_generations(names), robust=True)


def _new_generations(names: list[str]) -> None:
    # After the commit, robust: if the cache is down, Django logs the error and
    # the answers about it stay for the long lifetime at most.
    if len(names) == 1:  # a booking's: one command, not a pipeline
        cache.set(_generation_key(names[0]), secrets.token_hex(8), timeout=None)
        return
    cache.set_many({_generation_key(name): secrets.token_hex(8) for name in names}, timeout=None)
