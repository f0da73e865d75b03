"""When the allocation runs: after the commit of whatever may have made seats
of a procedure's list free (a publication, a cancellation, a declined or
expired offer, a closure lifted, someone joining when seats wait:
``allocation_after_join``), as a Celery task per procedure; and every minute
for every procedure (the beat's ``allocation.allocate_due``), which also finds
capacity that became visible at its moment. A run that finds nothing to offer
costs one query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from time import monotonic

from django.conf import settings
from django.db import transaction

from allocation.selectors import queue_seats_free
from core.tasks import task_publish

logger = logging.getLogger(__name__)

ALLOCATE = "allocation.allocate"


def _publish(procedure_ids: list[int]) -> None:
    for procedure_id in procedure_ids:
        try:
            task_publish(ALLOCATE, args=(procedure_id,))
        except Exception:
            # The beat's run every minute offers it then.
            logger.warning(
                "Could not publish the allocation of procedure %s; the next sweep will.",
                procedure_id,
                exc_info=True,
            )


def allocation_after_commit(procedure_ids: Iterable[int]) -> None:
    """Offer the free seats of these procedures' lists once the caller's
    transaction commits (at once when there is none)."""
    ids = sorted(set(procedure_ids))
    if ids:
        transaction.on_commit(lambda: _publish(ids), robust=True)


# After a join: when this process may next ask whether seats of a procedure's
# list wait to be offered (``allocation_after_join``), by procedure.
_next_asked: dict[int, float] = {}
_MAX_PROCEDURES = 10_000


def _join_check_seconds() -> float:
    return getattr(settings, "WAITLIST_JOIN_SEATS_CHECK_SECONDS", 1.0)


def allocation_after_join(procedure_id: int, *, now: datetime) -> None:
    """After someone joins ``procedure_id``'s list: offer the seats that wait
    to be offered, if any (a seat the last allocation run found nobody for).

    Asked at most once a second per process and procedure
    (``WAITLIST_JOIN_SEATS_CHECK_SECONDS``, 0: at every join). The question
    passes every seat of the list still to come until a free one: a scarce
    procedure's are all given out, and a storm of joins asking it each time
    read the whole list's capacity at each join (0.6 ms of PostgreSQL's CPU at
    5,000 seats). Nothing is lost by asking less: a seat freed meanwhile runs
    its own allocation, and the beat's run every minute offers the rest."""
    seconds = _join_check_seconds()
    if seconds > 0:
        moment = monotonic()
        if _next_asked.get(procedure_id, 0.0) > moment:
            return
        if len(_next_asked) >= _MAX_PROCEDURES:
            _next_asked.clear()
        _next_asked[procedure_id] = moment + seconds
    if queue_seats_free(now).filter(procedure_id=procedure_id).exists():
        allocation_after_commit([procedure_id])


def join_checks_forget() -> None:
    """Forget when this process last asked (the tests: each starts afresh)."""
    _next_asked.clear()
