"""Closing a site's slots (booking.services.closures): cancellations, messages,
priority rights, idempotency, permissions and lifting."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import (
    Appointment,
    AppointmentStatus,
    ClosureKind,
    Pool,
    PriorityRight,
    Slot,
)
from booking.services import (
    appointment_book,
    closure_create,
    closure_lift,
    closure_preview,
)
from notifications.models import Message
from tests import factories

pytestmark = pytest.mark.django_db

REASON = "Grève des agents de l’accueil"  # noqa: RUF001


def _day(offset: int = 3) -> tuple[datetime, datetime]:
    """The local day ``offset`` days from today, as a range."""
    tz = timezone.get_current_timezone()
    day = timezone.localdate() + timedelta(days=offset)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _day_with_appointments(site, procedure, *, people: int, slots: int = 5):
    """``slots`` slots on the day three days ahead, ``people`` booked across them."""
    start, end = _day()
    made = [
        factories.SlotFactory(
            site=site,
            procedure=procedure,
            starts_at=start + timedelta(hours=9, minutes=20 * i),
            capacity=(people + slots - 1) // slots,
        )
        for i in range(slots)
    ]
    appointments = []
    for n in range(people):
        person = factories.ApplicantFactory()
        appointments.append(
            appointment_book(actor=person.user, applicant=person, slot_id=made[n % slots].pk)
        )
    return start, end, made, appointments


def _close(agent, site, start, end, procedure=None):
    return closure_create(
        actor=agent,
        site=site,
        procedure=procedure,
        starts_at=start,
        ends_at=end,
        kind=ClosureKind.STRIKE,
        reason=REASON,
    )


def _slots_consistent(slots) -> None:
    for slot in slots:
        slot.refresh_from_db()
        active = Appointment.objects.filter(
            slot=slot, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
        ).count()
        assert slot.booked == active


def test_closing_a_day_of_20_appointments_cancels_them_owes_40_messages_and_gives_priority(
    agent, site, procedure
):
    start, end, slots, appointments = _day_with_appointments(site, procedure, people=20)
    Message.objects.all().delete()  # the booking confirmations

    closure = _close(agent, site, start, end)

    assert closure.slots_closed == 5
    assert closure.appointments_cancelled == 20
    assert (
        Appointment.objects.filter(status=AppointmentStatus.CANCELLED, slot__in=slots).count() == 20
    )
    owed = Message.objects.filter(template_key="appointment_cancelled")
    assert owed.count() == 40
    assert set(owed.values_list("channel", flat=True)) == {"email", "sms"}
    assert all(m.context.get("closure") == closure.pk for m in owed)
    rights = PriorityRight.objects.filter(closure=closure)
    assert rights.count() == 20
    assert {r.applicant_id for r in rights} == {a.applicant_id for a in appointments}
    assert all(r.procedure_id == procedure.pk and r.used_at is None for r in rights)
    _slots_consistent(slots)
    for slot in slots:
        assert slot.closure_id == closure.pk
        assert slot.capacity == 0
        assert slot.capacity_before_closure == 4


def test_closing_the_same_day_twice_changes_nothing_more(agent, site, procedure):
    start, end, slots, _appointments = _day_with_appointments(site, procedure, people=20)
    first = _close(agent, site, start, end)
    counts = (
        Message.objects.count(),
        PriorityRight.objects.count(),
        AuditEvent.objects.count(),
    )

    second = _close(agent, site, start, end)

    assert second.pk == first.pk
    assert (
        Message.objects.count(),
        PriorityRight.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert second.appointments_cancelled == 20
    _slots_consistent(slots)


def test_a_closure_is_audited_once_and_each_cancellation_as_usual(agent, site, procedure):
    start, end, _slots, appointments = _day_with_appointments(site, procedure, people=3, slots=3)

    closure = _close(agent, site, start, end)

    created = AuditEvent.objects.filter(action=AuditAction.CLOSURE_CREATED)
    assert created.count() == 1
    assert created.get().details["closure"] == closure.pk
    assert created.get().details["reason"] == REASON
    cancelled = AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_CANCELLED)
    assert {e.appointment_id for e in cancelled} == {a.pk for a in appointments}
    assert all(e.details["closure"] == closure.pk for e in cancelled)
    assert all(e.actor_id == agent.pk for e in cancelled)


def test_a_closed_slot_refuses_any_booking_and_is_not_available(agent, site, procedure):
    start, end, slots, _ = _day_with_appointments(site, procedure, people=2, slots=2)
    _close(agent, site, start, end)
    person = factories.ApplicantFactory()

    with pytest.raises(errors.SlotFull):
        appointment_book(actor=person.user, applicant=person, slot_id=slots[0].pk)
    with pytest.raises(errors.SlotFull):
        appointment_book(actor=agent, applicant=person, slot_id=slots[1].pk)

    from booking.selectors import availability

    free = availability(procedure=procedure, pools=["public"], now=timezone.now())
    assert not free.filter(pk__in=[s.pk for s in slots]).exists()


def test_freed_seats_of_a_closure_alert_nobody(agent, site, procedure, monkeypatch):
    from booking import signals

    freed = []
    signals.seat_freed.connect(lambda **kw: freed.append(kw), weak=False, dispatch_uid="t-freed")
    try:
        start, end, _, _ = _day_with_appointments(site, procedure, people=3, slots=1)
        _close(agent, site, start, end)
    finally:
        signals.seat_freed.disconnect(dispatch_uid="t-freed")
    assert freed == []


def test_the_cancellation_message_gives_the_reason_and_the_priority_date(agent, site, procedure):
    from django.utils import translation

    from notifications.services.appointments import appointment_message_render

    start, end, _, _ = _day_with_appointments(site, procedure, people=1, slots=1)
    closure = _close(agent, site, start, end)
    right = PriorityRight.objects.get(closure=closure)

    for message in Message.objects.filter(template_key="appointment_cancelled"):
        appointment_message_render(message=message)
        assert "Grève des agents" in message.text  # (an SMS straightens the apostrophe)
        with translation.override(message.language):
            until = right.valid_until
            assert str(timezone.localtime(until).year) in message.text


def test_only_slots_of_the_procedure_are_closed_when_one_is_named(agent, site, procedure):
    start, end = _day()
    other = factories.ProcedureFactory()
    nine = start + timedelta(hours=9)
    mine = factories.SlotFactory(site=site, procedure=procedure, starts_at=nine)
    theirs = factories.SlotFactory(site=site, procedure=other, starts_at=nine)

    _close(agent, site, start, end, procedure=procedure)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.closure_id is not None
    assert theirs.closure_id is None and theirs.capacity == 3


def test_preview_counts_without_writing(agent, site, procedure):
    start, end, _, _ = _day_with_appointments(site, procedure, people=7, slots=4)
    before = (Message.objects.count(), Slot.objects.filter(closure__isnull=False).count())

    preview = closure_preview(actor=agent, site=site, starts_at=start, ends_at=end)

    assert (preview.slots, preview.appointments, preview.procedures) == (4, 7, 1)
    assert (Message.objects.count(), Slot.objects.filter(closure__isnull=False).count()) == before


def test_an_agent_of_another_site_can_neither_preview_nor_close(other_agent, site, procedure):
    start, end, _slots, _ = _day_with_appointments(site, procedure, people=2, slots=2)

    with pytest.raises(errors.SiteNotFound):
        closure_preview(actor=other_agent, site=site, starts_at=start, ends_at=end)
    with pytest.raises(errors.SiteNotFound):
        _close(other_agent, site, start, end)

    assert not Slot.objects.filter(closure__isnull=False).exists()
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_a_supervisor_may_close_any_site(supervisor, site, procedure):
    start, end, _, _ = _day_with_appointments(site, procedure, people=1, slots=1)
    assert _close(supervisor, site, start, end).appointments_cancelled == 1


@pytest.mark.parametrize(
    ("shift", "reason", "error"),
    [
        (timedelta(0), REASON, errors.ClosureRangeInvalid),
        (timedelta(days=100), REASON, errors.ClosureRangeInvalid),
        (timedelta(hours=1), "   ", errors.ClosureReasonMissing),
    ],
)
def test_bad_closures_are_refused_and_change_nothing(agent, site, shift, reason, error):
    start, _ = _day()
    with pytest.raises(error):
        closure_create(
            actor=agent,
            site=site,
            starts_at=start,
            ends_at=start + shift,
            kind=ClosureKind.OTHER,
            reason=reason,
        )
    assert not site.closures.exists()


def test_lifting_reopens_future_slots_and_keeps_past_ones_closed(agent, site, procedure):
    start, end, slots, _ = _day_with_appointments(site, procedure, people=4, slots=2)
    closure = _close(agent, site, start, end)
    past = slots[0]
    Slot.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )

    closure_lift(actor=agent, closure=closure)

    closure.refresh_from_db()
    assert closure.lifted_at is not None and closure.lifted_by_id == agent.pk
    past.refresh_from_db()
    future = slots[1]
    future.refresh_from_db()
    assert past.closure_id == closure.pk and past.capacity == 0
    assert future.closure_id is None and future.capacity == 2 and future.booked == 0
    person = factories.ApplicantFactory()
    appointment_book(actor=person.user, applicant=person, slot_id=future.pk)
    assert AuditEvent.objects.filter(action=AuditAction.CLOSURE_LIFTED).count() == 1
    with pytest.raises(errors.ClosureAlreadyLifted):
        closure_lift(actor=agent, closure=closure)


def test_an_agent_of_another_site_cannot_lift(agent, other_agent, site, procedure):
    start, end, _, _ = _day_with_appointments(site, procedure, people=1, slots=1)
    closure = _close(agent, site, start, end)
    with pytest.raises(errors.ClosureNotFound):
        closure_lift(actor=other_agent, closure=closure)
    closure.refresh_from_db()
    assert closure.lifted_at is None


# --- The priority right ---------------------------------------------------------------------


def _priority_slot(site, procedure):
    return factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY, capacity=2)


def test_a_person_with_a_right_books_a_priority_slot_once(site, procedure):
    right = factories.PriorityRightFactory(procedure=procedure)
    person = right.applicant
    first, second = _priority_slot(site, procedure), _priority_slot(site, procedure)

    appointment = appointment_book(actor=person.user, applicant=person, slot_id=first.pk)

    right.refresh_from_db()
    assert right.used_at is not None and right.appointment_id == appointment.pk
    appointment.status = AppointmentStatus.CANCELLED  # free the one-per-procedure rule
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    with pytest.raises(errors.SlotNotFound):
        appointment_book(actor=person.user, applicant=person, slot_id=second.pk)


def test_without_a_right_a_priority_slot_does_not_exist(applicant, site, procedure):
    slot = _priority_slot(site, procedure)
    with pytest.raises(errors.SlotNotFound):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def test_a_right_for_another_procedure_or_expired_gives_nothing(site, procedure):
    right = factories.PriorityRightFactory()  # another procedure
    expired = factories.PriorityRightFactory(
        applicant=right.applicant, procedure=procedure, valid_until=timezone.now()
    )
    slot = _priority_slot(site, procedure)
    with pytest.raises(errors.SlotNotFound):
        appointment_book(actor=expired.applicant.user, applicant=expired.applicant, slot_id=slot.pk)


def test_a_refused_priority_booking_leaves_the_right_unused(site, procedure):
    right = factories.PriorityRightFactory(procedure=procedure)
    full = factories.SlotFactory(
        site=site, procedure=procedure, pool=Pool.PRIORITY, capacity=1, booked=1
    )
    with pytest.raises(errors.SlotFull):
        appointment_book(actor=right.applicant.user, applicant=right.applicant, slot_id=full.pk)
    right.refresh_from_db()
    assert right.used_at is None


def test_a_closure_right_lets_the_person_book_priority_time(agent, site, procedure):
    start, end, _, appointments = _day_with_appointments(site, procedure, people=1, slots=1)
    _close(agent, site, start, end)
    person = appointments[0].applicant
    priority = _priority_slot(site, procedure)

    appointment = appointment_book(actor=person.user, applicant=person, slot_id=priority.pk)

    assert appointment.slot_id == priority.pk
    assert PriorityRight.objects.get(applicant=person).appointment_id == appointment.pk


# --- The right on the applicant's pages and the API -----------------------------------------


def _logged_in(client, applicant):
    from tests.auth import login

    return login(client, applicant.user)


def test_with_a_right_the_booking_pages_offer_and_book_a_priority_time(client, site, procedure):
    from django.urls import reverse

    right = factories.PriorityRightFactory(procedure=procedure)
    slot = _priority_slot(site, procedure)
    browser = _logged_in(client, right.applicant)
    day = timezone.localdate(slot.starts_at).isoformat()

    times = browser.get(reverse("booking:times", args=[procedure.slug, site.slug]) + f"?date={day}")
    assert reverse("booking:confirm", args=[slot.pk]) in times.content.decode()
    assert browser.get(reverse("booking:confirm", args=[slot.pk])).status_code == 200
    response = browser.post(reverse("booking:confirm", args=[slot.pk]))

    assert response.status_code == 302
    right.refresh_from_db()
    assert right.appointment.slot_id == slot.pk
    # Used: the priority time is theirs no more to see.
    Appointment.objects.filter(pk=right.appointment_id).update(status=AppointmentStatus.CANCELLED)
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    assert browser.get(reverse("booking:confirm", args=[slot.pk])).status_code == 404


def test_without_a_right_the_pages_hide_priority_times(client, applicant, site, procedure):
    from django.urls import reverse

    slot = _priority_slot(site, procedure)
    browser = _logged_in(client, applicant)
    day = timezone.localdate(slot.starts_at).isoformat()

    times = browser.get(reverse("booking:times", args=[procedure.slug, site.slug]) + f"?date={day}")
    assert reverse("booking:confirm", args=[slot.pk]) not in times.content.decode()
    assert browser.get(reverse("booking:confirm", args=[slot.pk])).status_code == 404
    assert browser.post(reverse("booking:confirm", args=[slot.pk])).status_code == 404
    assert not Appointment.objects.filter(slot=slot).exists()


def test_my_appointments_shows_the_reason_and_the_right(client, agent, site, procedure):
    from django.urls import reverse

    start, end, _, appointments = _day_with_appointments(site, procedure, people=1, slots=1)
    _close(agent, site, start, end)
    browser = _logged_in(client, appointments[0].applicant)

    page = browser.get(reverse("booking:my_appointments")).content.decode()

    assert "de l’accueil" in page or "de l&#x27;accueil" in page or REASON in page  # noqa: RUF001
    right = PriorityRight.objects.get()
    assert f'id="priority-right-{right.pk}"' in page
    assert reverse("booking:sites", args=[procedure.slug]) in page


def test_the_api_lists_and_books_priority_times_only_with_a_right(site, procedure, applicant):
    from tests.helpers.api_clients import token_client

    slot = _priority_slot(site, procedure)
    url = f"/api/v1/availability/?procedure={procedure.slug}&pool=priority"
    without = token_client(applicant.user)
    assert without.get(url).json() == []
    refused = without.post("/api/v1/appointments/", {"slot": slot.pk}, format="json")
    assert refused.status_code == 404

    right = factories.PriorityRightFactory(procedure=procedure)
    holder = token_client(right.applicant.user)
    assert [row["slot"] for row in holder.get(url).json()] == [slot.pk]
    public = holder.get(f"/api/v1/availability/?procedure={procedure.slug}").json()
    assert slot.pk not in [row["slot"] for row in public]
    booked = holder.post("/api/v1/appointments/", {"slot": slot.pk}, format="json")
    assert booked.status_code == 201, booked.content
    right.refresh_from_db()
    assert right.used_at is not None
