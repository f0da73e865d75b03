"""Refusing the losers of a storm cheaply.

When capacity goes online, thousands of requests (and bots) ask for the same
few slots; once a slot is full, every further request would still cost the
booking service a transaction (five round trips and a rollback). Before
calling the service, the booking view asks ``is_full``: a slot that this
process saw full in the last second (``GUICHET_SOLD_OUT_SECONDS``, at most 1)
is refused without a query, any other after one read of the slot outside any
transaction (the read the booking service then uses: a free slot costs no
extra round trip). A slot with a free seat goes on to the service, which alone
decides, under its conditional UPDATE.

Why this is safe: the memory only ever refuses, never grants, so it cannot
overbook (the database guarantees that anyway). A seat freed meanwhile (a
cancellation) stays refused for at most a second here; freed capacity is meant
for the waiting list, not for whoever clicks first, so the delay takes nothing
from anyone. A cancellation or reschedule through this process forgets its
slot at once. Only applicants book through the API, so every caller who
reaches the memory could see the slot. Per process, no shared state: nothing to invalidate across
workers, nothing to go stale beyond the second.
"""

from __future__ import annotations

from collections.abc import Collection
from time import monotonic

from django.conf import settings
from django.utils import timezone

from booking import rules
from booking.statements import SlotRead

_MAX_ENTRIES = 10_000
_until: dict[int, float] = {}


def _seconds() -> float:
    return getattr(settings, "GUICHET_SOLD_OUT_SECONDS", 1.0)


def is_full(slot_id: int, slot: SlotRead | None, *, pools: Collection[str]) -> bool:
    """True if the slot is full now (or was within the second): refuse it.

    ``slot`` is the slot as the booking view read it (``None``: no such slot),
    the one read the booking service then uses too. Only for a published slot
    of one of ``pools`` (the caller's) within the horizon (``booking.rules``):
    for any other, and for one with a free seat, False, and the service says
    which error applies; "full" must not tell anyone about a slot they may not
    see (it answers as a missing one).
    """
    if is_sold_out(slot_id):
        return True
    if slot is None:
        return False
    if slot.booked + slot.held < slot.capacity:
        return False
    # Only applicants book through the API; the read is its own procedure's horizon.
    if rules.slot_hidden(slot, pools=pools, privileged=False, now=timezone.now(), procedure=slot):
        return False
    remember(slot_id)
    return True


def is_sold_out(slot_id: int) -> bool:
    until = _until.get(slot_id)
    if until is None:
        return False
    if until <= monotonic():
        _until.pop(slot_id, None)
        return False
    return True


def remember(slot_id: int) -> None:
    seconds = _seconds()
    if seconds <= 0:
        return
    if len(_until) >= _MAX_ENTRIES:
        _until.clear()
    _until[slot_id] = monotonic() + min(seconds, 1.0)


def forget(slot_id: int) -> None:
    _until.pop(slot_id, None)


def clear() -> None:
    _until.clear()
