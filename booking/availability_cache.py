"""Rendered availability answers, kept until capacity changes.

Availability is the hottest read (everyone refreshes when capacity is due).
The rendered JSON of an answer is kept in Django's cache, keyed by the
query's parameters and the caller's pools, with the moment it was computed
(``computed_at``: when the request looked in the cache, before reading the
database) and the moment it **changes by itself**, with no write: the first
slot in it passes the procedure's cut-off, an unpublished slot of its window
becomes visible at its ``published_at``, the next slot enters its window at
the horizon (``AvailabilityView`` computes it with the answer).

Every change of capacity **marks** its procedure once committed: a booking, a
cancellation, a reschedule (``booking.services``), a publication; any save or
delete of a slot, site or procedure (the admin; ``booking.signals``) marks
them all. A mark is a moment: "this procedure changed, up to then". An answer
is served

- for ``GUICHET_AVAILABILITY_CACHE_SECONDS`` (default and at most 1 s) after
  it was computed, whatever changed: what protects the database in a storm,
  when bookings change capacity continuously. So a slot that fills is shown as
  free for a second at most, and booking it meanwhile is refused anyway
  (``slot_full``): the cache can make an answer stale, never a booking wrong;
- beyond that, while it was computed after its procedure's mark and the
  global one (by ``CLOCK_TOLERANCE``) and has not changed by itself, for
  ``GUICHET_AVAILABILITY_CACHE_LONG_SECONDS`` at most (default 30; only when
  the cache is shared by the processes, Redis in production: a per-process
  cache would miss the other processes' changes).

Why a moment and not a write per change: in a storm every booking would write
one (a Redis round trip, some 5 % of a booking's CPU). A process marks a
procedure up to ``MARK_SECONDS`` ahead, and the changes it commits before
then are covered by that mark: it writes at most once a second per procedure.
A mark only ever moves forward (on Redis one script compares and sets), so a
late write from another process cannot take one back. A mark that is missing
(evicted, Redis restarted) counts as a change now. The processes' clocks are
compared (the marks are theirs): they must agree within ``CLOCK_TOLERANCE``
(one second; NTP keeps hosts within milliseconds).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from core.cache import redis_script

MAX_SECONDS = 1.0
# How far ahead a process marks a procedure changed: what it changes until
# then needs no other write.
MARK_SECONDS = 1.0
# How far the processes' clocks may disagree.
CLOCK_TOLERANCE = 1.0
_PREFIX = "guichet:availability:v3:"
_GLOBAL = "*"

# Raise each mark (milliseconds) to ARGV[1], never lower it: one command.
_RAISE_LUA = """
local value = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
    local current = tonumber(redis.call('GET', key))
    if current == nil or current < value then redis.call('SET', key, value) end
end
return value
"""

# Per process: the procedures this process marked, and until when its mark covers.
_marked: dict[str, float] = {}


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


def _mark_key(procedure: str) -> str:
    return f"{_PREFIX}changed:{procedure}"


@dataclass(frozen=True)
class Lookup:
    """What ``lookup`` found: the answer, or when the one to ``store`` was computed
    (``None``: kept for the short lifetime only)."""

    body: bytes | None
    computed_at: float | None


def lookup(parts: Hashable, procedure: str | None) -> Lookup:
    """The answer kept for ``parts`` if it may still be served; else what
    ``store`` needs to keep the one computed now. ``procedure`` is a slug as sent."""
    if lifetime() <= 0:
        return Lookup(None, None)
    if long_lifetime() <= 0:
        return Lookup(cache.get(_key(parts)), None)
    now = _clock()
    keys = [_key(parts), _mark_key(_GLOBAL), _mark_key(str(procedure))]
    found = cache.get_many(keys)
    changed = max(_mark_of(key, found.get(key), now) for key in keys[1:])
    entry = found.get(keys[0])
    if isinstance(entry, tuple):
        computed_at, valid_until, body = entry
        if now - computed_at < lifetime():
            return Lookup(body, now)
        if computed_at > changed + CLOCK_TOLERANCE and now < valid_until:
            return Lookup(body, now)
    return Lookup(None, now)


def _mark_of(key: str, value: object, now: float) -> float:
    """The mark's moment; a missing one (never written, evicted) is a change now."""
    if isinstance(value, int):
        return value / 1000
    cache.add(key, _milliseconds(now), timeout=None)
    return now


def store(parts: Hashable, found: Lookup, body: bytes, *, changes_at: float | None) -> None:
    """Keep ``body`` for ``parts``; ``changes_at`` (a timestamp) is when it
    changes by itself, ``None`` if it does not."""
    seconds = lifetime()
    if seconds <= 0:
        return
    longest = long_lifetime()
    if longest <= 0 or found.computed_at is None:
        cache.set(_key(parts), body, timeout=seconds)
        return
    start = found.computed_at
    valid_until = start + longest if changes_at is None else min(start + longest, changes_at)
    timeout = max(seconds, valid_until - _clock())
    cache.set(_key(parts), (start, valid_until, body), timeout=timeout)


def capacity_changed(procedures: Iterable[str] | None = None) -> None:
    """Once the current transaction commits (at once outside one): answers
    about ``procedures`` (slugs; ``None``: every procedure) are out of date."""
    if not shared():
        return
    names = [_GLOBAL] if procedures is None else sorted(set(procedures))
    transaction.on_commit(lambda: changes_mark(names), robust=True)


def changes_mark(names: list[str], *, backend: BaseCache | None = None) -> None:
    """Mark ``names`` (slugs, ``"*"``) changed now, unless this process's last
    mark still covers them. After the commit, robust: if the cache is down,
    Django logs the error and the answers about them stay for the long
    lifetime at most. ``backend``: another cache than the default (a bench)."""
    now = _clock()
    due = [name for name in names if _marked.get(name, 0.0) < now]
    if not due:
        return
    until = now + MARK_SECONDS
    _marks_raise([_mark_key(name) for name in due], until, backend or caches["default"])
    for name in due:
        _marked[name] = until


def _marks_raise(keys: list[str], until: float, backend: BaseCache) -> None:
    value = _milliseconds(until)
    if (raise_ := redis_script(backend, _RAISE_LUA)) is not None:
        raise_([backend.make_key(key) for key in keys], [value])
        return
    # Another shared cache: no compare-and-set; a late write may lower a mark.
    current = backend.get_many(keys)
    backend.set_many(
        {
            key: value
            for key in keys
            if not isinstance(current.get(key), int) or current[key] < value
        },
        timeout=None,
    )


def _milliseconds(moment: float) -> int:
    return int(moment * 1000)
