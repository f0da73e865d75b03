"""Announcing publications and freed seats to their subscribers, once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from booking import rules
from booking.models import Pool, Publication, Slot
from notifications.models import FreedSeatAlert, PublicationAnnouncement
from notifications.outbox import dispatch
from notifications.services.alerts import alerts_fan_out, alerts_offered

logger = logging.getLogger(__name__)


def freed_seat_owe(*, slot: Slot, procedure, now: datetime | None = None) -> None:
    """A cancellation or a reschedule frees a public seat of ``slot``: owe its
    subscribers an alert. Caller is inside the transaction that frees the seat.

    One ``INSERT ... ON CONFLICT DO NOTHING`` of a ``FreedSeatAlert`` (one per
    procedure, place and window: ten cancellations in the window owe one
    alert); once the transaction commits a task fans it out. If the task is
    never published (the broker down), the row is still owed and the sweep
    hands it over again (``freed_seats_sweep``).
    """
    key = _freed_seat_record(slot=slot, procedure=procedure, now=now or timezone.now())
    if key is not None:
        transaction.on_commit(lambda: _publish_freed_seat(*key))


def reopened_seats_owe(*, slots: list[Slot], now: datetime | None = None) -> None:
    """Lifting a closure gave ``slots`` their seats back: owe the new-slot alert
    a freed seat owes, for each procedure and site where one of them has a seat
    anyone may book online now (the public pool, visible, within the horizon,
    past the cut-off, not full). Caller is inside the lift's transaction.

    The same ``FreedSeatAlert`` as a cancellation's (one per procedure, place
    and window, fanned out after the commit, swept if its task is lost), keyed
    to the latest of those seats: the alert stands while any of them is ahead.
    """
    now = now or timezone.now()
    latest: dict[tuple[int, int], Slot] = {}
    for slot in slots:
        if slot.booked >= slot.capacity or slot.starts_at < rules.earliest_start(
            slot.procedure, now
        ):
            continue
        if rules.slot_hidden(slot, pools={Pool.PUBLIC.value}, privileged=False, now=now):
            continue
        key = (slot.procedure_id, slot.site_id)
        if key not in latest or slot.starts_at > latest[key].starts_at:
            latest[key] = slot
    for slot in latest.values():
        freed_seat_owe(slot=slot, procedure=slot.procedure, now=now)


def _freed_seat_record(*, slot: Slot, procedure, now: datetime) -> tuple[int, int, int] | None:
    """Insert the ``FreedSeatAlert`` of the seat unless its window has one; its
    key, or None when no alert is owed (a reserved pool, a procedure without
    alerts, a seat past the booking cut-off that nobody may book online: it
    would take the window's one alert from a later seat that can be)."""
    if slot.pool != Pool.PUBLIC or not alerts_offered(procedure=procedure):
        return None
    if slot.starts_at < rules.earliest_start(procedure, now) or slot.published_at > now:
        # (A booked seat is within the horizon: the horizon only moves forward.)
        return None
    window = int(now.timestamp()) // (settings.NOTIFICATIONS_FREED_SEAT_WINDOW_MINUTES * 60)
    FreedSeatAlert.objects.bulk_create(
        [
            FreedSeatAlert(
                procedure_id=procedure.pk,
                site_id=slot.site_id,
                window=window,
                slot_id=slot.pk,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return procedure.pk, slot.site_id, window


def _publish_freed_seat(procedure_id: int, site_id: int, window: int) -> None:
    try:
        dispatch.task_publish(dispatch.FREED_SEAT_ALERT, args=(procedure_id, site_id, window))
    except Exception:
        logger.warning(
            "Could not publish the freed-seat alert of procedure %s at site %s; the sweep will.",
            procedure_id,
            site_id,
            exc_info=True,
        )


def publication_announce(*, publication: Publication, now: datetime | None = None) -> int:
    """Fan out the alerts of a publication that has become visible, once.

    The announcement row is written after the fan-out: a run that dies midway
    is redone by the next one, which the message keys make harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Announcers take turns on a publication: two at once would owe the same
        # keys, each in its own random order, and could each wait on a key the
        # other inserted first in the unique index (a deadlock). The second one
        # finds it announced and owes nothing.
        list(Publication.objects.select_for_update().filter(pk=publication.pk).values_list("pk"))
        if PublicationAnnouncement.objects.filter(publication_id=publication.pk).exists():
            return 0
        created = 0
        public_seats = Slot.objects.filter(
            publication=publication, pool=Pool.PUBLIC, starts_at__gt=now
        ).exists()
        if public_seats and alerts_offered(procedure=publication.procedure):
            created = alerts_fan_out(
                procedure_id=publication.procedure_id,
                site_id=publication.site_id,
                event_key=f"pub{publication.pk}",
                now=now,
            )
        PublicationAnnouncement.objects.get_or_create(
            publication=publication, defaults={"announced_at": now, "messages_created": created}
        )
    return created


def publications_announce_due(*, now: datetime | None = None) -> int:
    """Announce every publication that became visible and was not announced yet,
    however long ago (the announcer stopped for days: it is made once, late,
    if its seats are still ahead). Returns how many messages were created."""
    now = now or timezone.now()
    due = (
        Publication.objects.filter(visible_at__lte=now, announcement__isnull=True)
        .select_related("procedure")
        .order_by("visible_at", "pk")
    )
    return sum(publication_announce(publication=pub, now=now) for pub in due)


def freed_seat_alert_announce(
    *, procedure_id: int, site_id: int, window: int, now: datetime | None = None
) -> int:
    """Fan out the freed-seat alert owed for (procedure, site, window), once.
    Returns how many messages were created.

    Nothing is sent when the freed seat has started meanwhile. The row is
    marked announced after the fan-out: a run that dies midway is redone by
    the sweep, which the message keys make harmless.
    """
    now = now or timezone.now()
    alert = (
        FreedSeatAlert.objects.filter(
            procedure_id=procedure_id, site_id=site_id, window=window, announced_at__isnull=True
        )
        .select_related("slot", "procedure")
        .first()
    )
    if alert is None:
        return 0  # announced already, or never owed
    created = 0
    if (
        alert.slot is not None
        and alert.slot.starts_at > now
        and alerts_offered(procedure=alert.procedure)
    ):
        created = alerts_fan_out(
            procedure_id=procedure_id, site_id=site_id, event_key=alert.event_key, now=now
        )
    FreedSeatAlert.objects.filter(pk=alert.pk, announced_at__isnull=True).update(
        announced_at=now, messages_created=created
    )
    return created


def freed_seats_sweep(*, now: datetime | None = None, limit: int = 100) -> int:
    """Hand over again the freed-seat alerts whose task was lost (the broker was
    down at commit, a worker died mid-fan-out): owed for longer than
    ``NOTIFICATIONS_PENDING_GRACE`` and not handed over by a sweep in the last
    ``NOTIFICATIONS_SENDING_TIMEOUT`` (longer than a task may run). Called by
    the sweep, which runs only when the broker is up; publishes one task each
    rather than fanning out here, within the sweep's time limit. Returns how
    many were handed over."""
    now = now or timezone.now()
    due = now - timedelta(seconds=settings.NOTIFICATIONS_PENDING_GRACE)
    again = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
    with transaction.atomic():
        owed = list(
            FreedSeatAlert.objects.select_for_update(skip_locked=True)
            .filter(announced_at__isnull=True, created_at__lte=due)
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lte=again))
            .order_by("pk")
            .values_list("pk", "procedure_id", "site_id", "window")[:limit]
        )
        FreedSeatAlert.objects.filter(pk__in=[row[0] for row in owed]).update(swept_at=now)
    for _pk, procedure_id, site_id, window in owed:
        _publish_freed_seat(procedure_id, site_id, window)
    if owed:
        logger.info("Sweep: handed over %d freed-seat alert(s) again.", len(owed))
    return len(owed)


def freed_seat_announce(*, slot_id: int, appointment_id: int, now: datetime | None = None) -> int:
    """Owe and announce at once the freed-seat alert of ``slot_id`` (the task of
    this name published before freed-seat alerts were owed in the transaction)."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("procedure").get(pk=slot_id)
    key = _freed_seat_record(slot=slot, procedure=slot.procedure, now=now)
    if key is None:
        return 0
    procedure_id, site_id, window = key
    return freed_seat_alert_announce(
        procedure_id=procedure_id, site_id=site_id, window=window, now=now
    )
