"""The waiting list's answers to booking's signals (``booking.signals``),
connected in ``AllocationConfig.ready()``.

- ``seat_freed``, ``capacity_reopened``, ``queue_capacity_changed``: seats of
  the pool ``queue`` may be free: the allocation runs after the commit.
- ``holds_withdraw``: a closure or a change of mode takes back seats the list
  held: the open offers there are withdrawn, their people told.
- ``priority_changed``: a court order recorded, served or open again, a
  priority right used or given back: the people's entries get their class
  again (``entries_reclassify``), inside the transaction.
- ``closure_cancelled``: the people a closure cancelled move up, or are put
  back on the list where it gives the procedure out (``entries_after_closure``).
"""

from __future__ import annotations

from allocation import services
from booking import signals as booking
from booking.models import Pool, Slot


def seat_freed(sender, *, slot, procedure, now, **kwargs) -> None:
    if slot.pool == Pool.QUEUE:
        services.allocation_after_commit([procedure.pk])


def capacity_reopened(sender, *, slots, now, **kwargs) -> None:
    services.allocation_after_commit(
        {slot.procedure_id for slot in slots if slot.pool == Pool.QUEUE}
    )


def queue_capacity_changed(sender, *, procedure_ids, now, **kwargs) -> None:
    services.allocation_after_commit(procedure_ids)


def holds_withdraw(sender, *, slot_ids, reason, now, **kwargs) -> None:
    services.holds_withdraw(slot_ids=slot_ids, reason=reason, now=now)


def priority_changed(
    sender, *, applicant_ids, procedure_id, reason, details, actor, now, **kwargs
) -> None:
    services.entries_reclassify(
        applicant_ids=applicant_ids,
        procedure_id=procedure_id,
        now=now,
        actor=actor,
        reason=reason,
        details=details,
    )


def closure_cancelled(sender, *, closure, appointments, actor, now, **kwargs) -> None:
    services.entries_after_closure(closure=closure, appointments=appointments, actor=actor, now=now)


def connect() -> None:
    """Connect the receivers (idempotent: each has its ``dispatch_uid``)."""
    booking.seat_freed.connect(seat_freed, sender=Slot, dispatch_uid="allocation.seat_freed")
    booking.capacity_reopened.connect(
        capacity_reopened, sender=Slot, dispatch_uid="allocation.capacity_reopened"
    )
    booking.queue_capacity_changed.connect(
        queue_capacity_changed, sender=Slot, dispatch_uid="allocation.queue_capacity_changed"
    )
    booking.holds_withdraw.connect(
        holds_withdraw, sender=Slot, dispatch_uid="allocation.holds_withdraw"
    )
    booking.priority_changed.connect(priority_changed, dispatch_uid="allocation.priority_changed")
    booking.closure_cancelled.connect(
        closure_cancelled, dispatch_uid="allocation.closure_cancelled"
    )
