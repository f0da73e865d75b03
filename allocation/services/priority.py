"""The priority class follows the facts while the person waits
(``docs/allocation/priority.md``): a court order recorded, served or open
again, a closure's right given, used or given back (booking's signals
``priority_changed`` and ``closure_cancelled``, answered in
``allocation.receivers`` inside the fact's transaction), what time changes
(the beat's sweep, ``entries_reclassify_due``), and the people a closure of a
procedure given out by its list puts back on it (``entries_after_closure``).

Lock order: the callers may hold slot rows; entries are locked here in
primary-key order, never the allocation's advisory lock (slots, then entries,
then offers: ``allocation.services.offers``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from allocation import rules, signals
from allocation.models import ENTRY_IN_FORCE, WaitlistEntry
from allocation.services.scheduling import allocation_after_commit
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event, audit_record
from booking import rules as booking_rules
from booking.models import AllocationMode, Appointment, Channel, Closure
from core.db import constraint_of

# The reasons of a change of class that booking does not send.
REASON_SWEEP = "sweep"
REASON_CLOSURE = "closure"


def classes_recompute(entries: list[WaitlistEntry], *, now: datetime) -> list[tuple[int, int]]:
    """Set each entry's ``priority_class`` (entries of one procedure, locked by
    the caller) to what the facts say at ``now`` (``rules.priority_classes_of``:
    one query), in memory; return ``(entry id, class before)`` of those that
    changed, which the caller saves. A run of the allocation follows the commit
    when one moves ahead: a seat waiting goes to it in its new place."""
    if not entries:
        return []
    classes = rules.priority_classes_of(
        procedure_id=entries[0].procedure_id,
        permits={entry.applicant_id: entry.permit_expires_on for entry in entries},
        now=now,
    )
    changed = []
    improved = False
    for entry in entries:
        before, entry.priority_class = entry.priority_class, classes[entry.applicant_id]
        if entry.priority_class != before:
            changed.append((entry.pk, before))
            improved = improved or rules.class_improves(before, entry.priority_class)
    if improved:
        allocation_after_commit([entries[0].procedure_id])
    return changed


def entries_reclassify(
    *,
    applicant_ids: Collection[int],
    procedure_id: int,
    now: datetime,
    actor: User | None = None,
    reason: str,
    details: dict | None = None,
) -> list[WaitlistEntry]:
    """Recompute the class of these people's entries in force on
    ``procedure_id``'s list after a fact it reads changed (``reason``: a court
    order recorded, served or open again, a closure's priority right given,
    used, given back or expired). Each change is audited
    (``waitlist.reclassified``: the class before and after, the reason and
    ``details``); the place within the class stays the moment the entry joined.
    Returns the entries whose class changed.

    Caller is in the transaction of the fact, after the slot locks it takes:
    the entries are locked here in primary-key order (the lock order of
    ``allocation.services.offers``: slots, entries, offers). An allocation run
    that read the list before this commits offers by the order it read (as if
    the change came after it). One query when the people wait on no list."""
    entries = _entries_in_force_locked(applicant_ids=applicant_ids, procedure_id=procedure_id)
    return _reclassified(entries, now=now, actor=actor, reason=reason, details=details)


def _entries_in_force_locked(
    *, applicant_ids: Collection[int], procedure_id: int
) -> list[WaitlistEntry]:
    return list(
        WaitlistEntry.objects.select_for_update()
        .filter(
            applicant_id__in=sorted(set(applicant_ids)),
            procedure_id=procedure_id,
            status__in=ENTRY_IN_FORCE,
        )
        .order_by("pk")
    )


def _reclassified(
    entries: list[WaitlistEntry],
    *,
    now: datetime,
    actor: User | None,
    reason: str,
    details: dict | None,
) -> list[WaitlistEntry]:
    """``entries_reclassify`` for entries already locked: one ``UPDATE`` per
    class the entries move to (four at most), one ``INSERT`` of the audit rows."""
    changed = dict(classes_recompute(entries, now=now))
    moved = [entry for entry in entries if entry.pk in changed]
    if not moved:
        return []
    by_class: dict[int, list[int]] = {}
    for entry in moved:
        entry.updated_at = now
        by_class.setdefault(entry.priority_class, []).append(entry.pk)
    for priority_class, entry_ids in sorted(by_class.items()):
        WaitlistEntry.objects.filter(pk__in=entry_ids).update(
            priority_class=priority_class, updated_at=now
        )
    events = []
    for entry in moved:
        event = audit_event(
            actor=actor,
            action=AuditAction.WAITLIST_RECLASSIFIED,
            details={
                "entry": entry.pk,
                "priority_class_before": changed[entry.pk],
                "priority_class": entry.priority_class,
                "reason": reason,
                **(details or {}),
            },
        )
        event.applicant_id = entry.applicant_id
        events.append(event)
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return moved


def entries_reclassify_due(*, now: datetime | None = None) -> int:
    """The beat's sweep (``allocation.allocate_due``, every minute, before it
    offers): every entry in force whose stored class is not what the facts say
    now (``rules.priority_class_sql``) gets it. What time alone changes (a
    closure's right expired, a recorded permit come within
    ``WAITLIST_PERMIT_EXPIRING_DAYS``) is caught here, and so is anything the
    signals could not see (a person who joined while a court order was being
    recorded, a row changed by hand). One query when nothing is stale; then
    one transaction per procedure. Returns how many entries changed class."""
    now = now or timezone.now()
    expected, params = rules.priority_class_sql(now, alias="e")
    sql = (
        "SELECT e.procedure_id, e.applicant_id "  # noqa: S608 - names from the model
        f"FROM {connection.ops.quote_name(WaitlistEntry._meta.db_table)} e "
        f"WHERE e.status = ANY(%s) AND e.priority_class <> {expected}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[str(status) for status in ENTRY_IN_FORCE], *params])
        stale = cursor.fetchall()
    people: dict[int, list[int]] = {}
    for procedure_id, applicant_id in stale:
        people.setdefault(procedure_id, []).append(applicant_id)
    changed = 0
    for procedure_id, applicant_ids in sorted(people.items()):
        with transaction.atomic():
            changed += len(
                entries_reclassify(
                    applicant_ids=applicant_ids,
                    procedure_id=procedure_id,
                    now=now,
                    reason=REASON_SWEEP,
                )
            )
    return changed


def entries_after_closure(
    *, closure: Closure, appointments: list[Appointment], actor: User | None, now: datetime
) -> list[WaitlistEntry]:
    """A closure cancelled ``appointments`` (of one slot) and gave each person a
    priority right (``booking.signals.closure_cancelled``). Their entries in
    force on the procedure's list move up (``entries_reclassify``); a person
    with none, whose appointment was at a site where the list gives the
    procedure out, is put back on it (``CANCELLED_BY_PREFECTURE``: after the
    court orders, before everyone else), for that site, every weekday, audited
    as joined by the closure's author and told (``entries_placed``). It is an
    ordinary entry: they may decline what it is offered, or leave.

    Caller holds the slot's lock, in the closure's transaction; no consent is
    asked (the prefecture acts on its own cancellation), and a walk-in is
    written to only by the channels a consent covers (notifications)."""
    if not appointments:
        return []
    procedure = appointments[0].procedure
    site_id = appointments[0].slot.site_id
    entries = _entries_in_force_locked(
        applicant_ids=[appointment.applicant_id for appointment in appointments],
        procedure_id=procedure.pk,
    )
    _reclassified(
        entries, now=now, actor=actor, reason=REASON_CLOSURE, details={"closure": closure.pk}
    )
    if (
        not procedure.is_active
        or booking_rules.allocation_mode(procedure.pk, site_id) != AllocationMode.QUEUE
    ):
        return []  # the right lets them book the priority times themselves
    waiting = {entry.applicant_id for entry in entries}
    to_place = {a.applicant_id: a for a in appointments if a.applicant_id not in waiting}
    if not to_place:
        return []
    classes = rules.priority_classes_of(
        procedure_id=procedure.pk, permits=dict.fromkeys(to_place), now=now
    )
    placed = []
    for applicant_id, appointment in sorted(to_place.items(), key=lambda item: item[1].pk):
        entry = _entry_for_closure(
            appointment=appointment,
            closure=closure,
            actor=actor,
            site_id=site_id,
            priority_class=classes[applicant_id],
            now=now,
        )
        if entry is not None:
            placed.append(entry)
    if placed:
        allocation_after_commit([procedure.pk])
        signals.entries_placed.send(
            sender=WaitlistEntry, entry_ids=[entry.pk for entry in placed], now=now
        )
    return placed


def _entry_for_closure(
    *,
    appointment: Appointment,
    closure: Closure,
    actor: User | None,
    site_id: int,
    priority_class: int,
    now: datetime,
) -> WaitlistEntry | None:
    applicant = appointment.applicant
    entry = WaitlistEntry(
        applicant=applicant,
        procedure_id=appointment.procedure_id,
        identity_key=applicant.identity_key,
        site_ids=[site_id],
        weekdays_excluded=[],
        priority_class=priority_class,
        queued_at=now,
        joined_at=now,
        channel=Channel.AGENT,
        created_by=actor,
        # A walk-in's access point sees the entry as it saw the appointment.
        access_point_id=appointment.access_point_id,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError as exc:
        if "one_entry_in_force" in constraint_of(exc):
            return None  # the same identity waits under another record
        raise
    audit_record(
        actor=actor,
        action=AuditAction.WAITLIST_JOINED,
        applicant=applicant,
        details={
            "entry": entry.pk,
            "procedure": appointment.procedure.slug,
            "sites": [site_id],
            "weekdays_excluded": [],
            "priority_class": entry.priority_class,
            "channel": Channel.AGENT.value,
            "by": REASON_CLOSURE,
            "closure": closure.pk,
            "appointment": appointment.pk,
        },
    )
    return entry
