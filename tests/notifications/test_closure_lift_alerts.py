"""Lifting a closure gives seats back: the subscribers of the procedure are owed
the new-slot alert a freed seat owes, for the seats anyone may book online."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.models import ClosureKind, Pool, Slot
from booking.services import closure_create, closure_lift
from notifications.models import FreedSeatAlert, Message
from tests import factories

pytestmark = pytest.mark.django_db


def _day(offset: int = 3) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(timezone.localdate() + timedelta(days=offset), time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _closed_day(agent, site, procedure, *, pool=Pool.PUBLIC, slots=3):
    start, end = _day()
    made = [
        factories.SlotFactory(
            site=site,
            procedure=procedure,
            pool=pool,
            starts_at=start + timedelta(hours=9, minutes=20 * i),
        )
        for i in range(slots)
    ]
    closure = closure_create(
        actor=agent,
        site=site,
        procedure=None,
        starts_at=start,
        ends_at=end,
        kind=ClosureKind.STRIKE,
        reason="Grève",
    )
    return closure, made


def _alerts():
    return Message.objects.filter(
        template_key="new_slots", idempotency_key__startswith="new_slots:freed:"
    )


def test_lifting_a_closure_owes_the_subscribers_their_new_slot_alert(
    agent, site, procedure, django_capture_on_commit_callbacks
):
    subscription = factories.AlertSubscriptionFactory(
        procedure=procedure, sites=[site], channels="email"
    )
    elsewhere = factories.AlertSubscriptionFactory(procedure=procedure, channels="email")
    closure, slots = _closed_day(agent, site, procedure)
    assert not _alerts().exists()  # closing freed no seat anybody may book

    with django_capture_on_commit_callbacks(execute=True):
        closure_lift(actor=agent, closure=closure)

    [alert] = _alerts()
    assert alert.destination == subscription.applicant.user.email
    assert alert.applicant_id == subscription.applicant_id
    assert alert.applicant_id != elsewhere.applicant_id
    # One alert for the day, kept while its last seat is ahead; announced once.
    [owed] = FreedSeatAlert.objects.all()
    assert owed.procedure_id == procedure.pk and owed.site_id == site.pk
    assert owed.slot_id == slots[-1].pk
    assert owed.announced_at is not None and owed.messages_created == 1


def test_the_lift_asks_as_much_of_twelve_slots_as_of_one(agent, site, procedure):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    one, _ = _closed_day(agent, site, procedure, slots=1)
    start, end = _day(4)
    for i in range(12):
        factories.SlotFactory(
            site=site, procedure=procedure, starts_at=start + timedelta(hours=9, minutes=20 * i)
        )
    twelve = closure_create(
        actor=agent, site=site, starts_at=start, ends_at=end, kind=ClosureKind.STRIKE, reason="G"
    )
    FreedSeatAlert.objects.all().delete()

    with CaptureQueriesContext(connection) as of_one:
        closure_lift(actor=agent, closure=one)
    FreedSeatAlert.objects.all().delete()
    with CaptureQueriesContext(connection) as of_twelve:
        closure_lift(actor=agent, closure=twelve)

    assert len(of_twelve) == len(of_one)
    assert FreedSeatAlert.objects.count() == 1


def test_the_lift_owes_its_alert_in_its_own_transaction(agent, site, procedure):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    closure, _slots = _closed_day(agent, site, procedure)

    # No on-commit hook runs here: the alert is owed all the same (the sweep's).
    closure_lift(actor=agent, closure=closure)

    assert FreedSeatAlert.objects.filter(
        procedure=procedure, site=site, announced_at__isnull=True
    ).exists()


def test_lifted_slots_in_the_past_or_past_the_cutoff_alert_nobody(
    agent, site, procedure, django_capture_on_commit_callbacks
):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    closure, slots = _closed_day(agent, site, procedure, slots=2)
    now = timezone.now()
    past, soon = slots
    Slot.objects.filter(pk=past.pk).update(
        starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    # Reopened, but only staff book it now: online booking closed before it.
    soon_at = now + timedelta(hours=procedure.cutoff_hours) - timedelta(minutes=30)
    Slot.objects.filter(pk=soon.pk).update(
        starts_at=soon_at, ends_at=soon_at + timedelta(minutes=20)
    )

    with django_capture_on_commit_callbacks(execute=True):
        closure_lift(actor=agent, closure=closure)

    soon.refresh_from_db()
    assert soon.closure_id is None  # reopened all the same
    assert not FreedSeatAlert.objects.exists()
    assert not _alerts().exists()


@pytest.mark.parametrize("pool", [Pool.PRIORITY, Pool.MEDIATION])
def test_lifted_slots_of_a_reserved_pool_alert_nobody(
    agent, site, procedure, pool, django_capture_on_commit_callbacks
):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    closure, _slots = _closed_day(agent, site, procedure, pool=pool)

    with django_capture_on_commit_callbacks(execute=True):
        closure_lift(actor=agent, closure=closure)

    assert not FreedSeatAlert.objects.exists()
    assert not _alerts().exists()


def test_lifted_slots_not_yet_visible_alert_nobody(
    agent, site, procedure, django_capture_on_commit_callbacks
):
    """Published to be seen later: their publication's announcement is theirs."""
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    closure, slots = _closed_day(agent, site, procedure)
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(
        published_at=timezone.now() + timedelta(hours=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        closure_lift(actor=agent, closure=closure)

    assert not FreedSeatAlert.objects.exists()
    assert not _alerts().exists()
