"""When the allocation runs: after the commit of whatever may have made seats
of a procedure's list free (a publication, a cancellation, a declined or
expired offer, a closure lifted, someone joining), as a Celery task per
procedure; and every minute for every procedure (the beat's
``allocation.allocate_due``), which also finds capacity that became visible
at its moment. A run that finds nothing to offer costs one query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

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
