"""How a procedure's public capacity is given out: first come, first served
(``open``) or by its waiting list (``queue``). Set by supervisors.

The mode decides the pool of a publication's public counters
(``booking.rules.public_pool``). Changing it moves the capacity to come: the
slots not started of the sites concerned change pool (``public`` to ``queue``
or back), with their appointments, which stay as they are. Seats that the
waiting list held there are withdrawn first (``booking.signals.holds_withdraw``),
and capacity moved to the list is offered once the change commits
(``queue_capacity_changed``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_record
from booking import availability_cache, errors, signals
from booking.models import AllocationMode, AllocationPolicy, Pool, Procedure, Site, Slot


def allocation_mode_set(
    *, actor: User, procedure: Procedure, mode: str, site: Site | None = None
) -> AllocationPolicy:
    """Give ``procedure``'s public capacity out by ``mode``, at ``site`` or (no
    site) at every site that has no mode of its own. Supervisors only
    (``SupervisorsOnly``). Audited; a mode already set changes nothing."""
    if not (actor.is_authenticated and actor.is_active and actor.role == Role.SUPERVISOR):
        raise errors.SupervisorsOnly()
    if mode not in AllocationMode.values:
        raise errors.InvalidCapacityChange()
    now = timezone.now()
    with transaction.atomic():
        policy, _created = AllocationPolicy.objects.select_for_update().get_or_create(
            procedure=procedure, site=site, defaults={"mode": mode, "updated_by": actor}
        )
        before = None if _created else policy.mode
        if before == mode:
            return policy
        policy.mode, policy.updated_by, policy.updated_at = mode, actor, now
        policy.save(update_fields=["mode", "updated_by", "updated_at"])
        to_pool = Pool.QUEUE if mode == AllocationMode.QUEUE else Pool.PUBLIC
        from_pool = Pool.PUBLIC if to_pool == Pool.QUEUE else Pool.QUEUE
        slots = Slot.objects.filter(procedure=procedure, pool=from_pool, starts_at__gt=now)
        if site is not None:
            slots = slots.filter(site=site)
        else:
            own = AllocationPolicy.objects.filter(procedure=procedure, site__isnull=False)
            slots = slots.exclude(site_id__in=own.values("site_id"))
        # Slot rows in primary-key order (the services' lock order).
        slot_ids = list(slots.select_for_update().order_by("pk").values_list("pk", flat=True))
        if from_pool == Pool.QUEUE and slot_ids:
            signals.holds_withdraw.send(
                sender=Slot, slot_ids=slot_ids, reason="mode_changed", now=now
            )
        moved = Slot.objects.filter(pk__in=slot_ids).update(pool=to_pool)
        availability_cache.capacity_changed([procedure.slug])
        if to_pool == Pool.QUEUE and moved:
            signals.queue_capacity_changed.send(sender=Slot, procedure_ids=[procedure.pk], now=now)
        audit_record(
            actor=actor,
            action=AuditAction.ALLOCATION_MODE_SET,
            details={
                "procedure": procedure.slug,
                "site": site.slug if site is not None else None,
                "mode_before": before,
                "mode": mode,
                "slots_moved": moved,
            },
        )
    return policy
