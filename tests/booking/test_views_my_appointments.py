"""The applicant's appointments: listing, cancelling, rescheduling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from booking import errors
from booking.models import Appointment, AppointmentStatus
from tests import factories
from tests.helpers.booking_pages import book, booked_seats, links_to, local_day, messages_of

pytestmark = pytest.mark.django_db


# --- My appointments, cancel, reschedule ------------------------------------------------------


def test_my_appointments_lists_upcoming_and_cancelled(logged_in, applicant, slot):
    upcoming = book(applicant, slot)
    other_procedure = factories.SlotFactory()
    cancelled = book(applicant, other_procedure)
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)
    someone_else = book(factories.ApplicantFactory(), factories.SlotFactory())

    html = logged_in.get(reverse("booking:my_appointments")).content.decode()

    assert upcoming.reference in html
    assert reverse("booking:appointment_detail", args=[cancelled.reference]) in html
    assert "Cancelled" in html
    assert someone_else.reference not in html


@pytest.mark.parametrize(
    "name, method",
    [
        ("booking:appointment_detail", "get"),
        ("booking:appointment_ics", "get"),
        ("booking:appointment_cancel", "get"),
        ("booking:appointment_cancel", "post"),
        ("booking:appointment_reschedule", "get"),
    ],
)
def test_another_applicants_reference_is_404(logged_in, other_applicant, slot, name, method):
    theirs = book(other_applicant, slot)

    response = getattr(logged_in, method)(reverse(name, args=[theirs.reference]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_another_applicants_reference_cannot_be_rescheduled(logged_in, other_applicant, slot):
    theirs = book(other_applicant, slot)
    target = factories.SlotFactory(site=slot.site, procedure=slot.procedure)
    url = reverse("booking:appointment_reschedule_confirm", args=[theirs.reference, target.pk])

    assert logged_in.get(url).status_code == 404
    assert logged_in.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.slot_id == slot.pk


def test_reference_is_found_whatever_its_case(logged_in, applicant, slot):
    appointment = book(applicant, slot)

    url = reverse("booking:appointment_detail", args=[appointment.reference.lower()])

    assert logged_in.get(url).status_code == 200


def test_cancel_asks_first_then_cancels_on_post(logged_in, applicant, slot):
    appointment = book(applicant, slot)
    url = reverse("booking:appointment_cancel", args=[appointment.reference])

    page = logged_in.get(url)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert 'method="post"' in page.content.decode()

    response = logged_in.post(url)

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("booking:my_appointments")
    assert appointment.status == AppointmentStatus.CANCELLED
    assert booked_seats(slot) == 0
    assert appointment.reference in messages_of(response)[0]


def test_cancelling_twice_says_it_is_no_longer_active(logged_in, applicant, slot):
    appointment = book(applicant, slot)
    url = reverse("booking:appointment_cancel", args=[appointment.reference])
    logged_in.post(url, follow=True)  # the first cancel, its message shown

    again = logged_in.post(url)

    assert again.status_code == 302
    assert again.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert messages_of(again) == [str(errors.AppointmentNotActive.default_message)]
    assert booked_seats(slot) == 0


def test_reschedule_moves_the_appointment_on_post(logged_in, applicant, slot):
    appointment = book(applicant, slot)
    target = factories.SlotFactory(
        site=slot.site, procedure=slot.procedure, starts_at=slot.starts_at + timedelta(days=1)
    )
    page_url = reverse("booking:appointment_reschedule", args=[appointment.reference])
    confirm_url = reverse(
        "booking:appointment_reschedule_confirm", args=[appointment.reference, target.pk]
    )

    week = logged_in.get(page_url).content.decode()
    day = logged_in.get(page_url, {"site": slot.site.slug, "date": local_day(target)})
    confirm = logged_in.get(confirm_url)
    response = logged_in.post(confirm_url)

    assert f"date={local_day(target).isoformat()}" in week
    assert links_to(day, confirm_url)
    assert reverse("booking:confirm", args=[slot.pk]) not in day.content.decode()
    assert confirm.status_code == 200
    appointment.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert appointment.slot_id == target.pk
    assert appointment.reschedule_count == 1
    assert (booked_seats(slot), booked_seats(target)) == (0, 1)


def test_reschedule_to_a_full_slot_keeps_the_old_appointment(logged_in, applicant, slot):
    appointment = book(applicant, slot)
    target = factories.SlotFactory(site=slot.site, procedure=slot.procedure, capacity=1)
    url = reverse("booking:appointment_reschedule_confirm", args=[appointment.reference, target.pk])
    book(factories.ApplicantFactory(), target)

    response = logged_in.post(url)

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert response.url.startswith(
        reverse("booking:appointment_reschedule", args=[appointment.reference])
    )
    assert messages_of(response) == [str(errors.SlotFull.default_message)]
    assert appointment.slot_id == slot.pk
    assert (booked_seats(slot), booked_seats(target)) == (1, 1)


def test_reschedule_to_another_procedure_is_404(logged_in, applicant, slot):
    appointment = book(applicant, slot)
    elsewhere = factories.SlotFactory()
    url = reverse(
        "booking:appointment_reschedule_confirm", args=[appointment.reference, elsewhere.pk]
    )

    assert logged_in.get(url).status_code == 404
    response = logged_in.post(url)

    appointment.refresh_from_db()
    assert response.status_code == 302  # back to the choice, as for a slot that does not exist
    assert response.url == reverse("booking:appointment_reschedule", args=[appointment.reference])
    assert messages_of(response) == [str(errors.SlotNotFound.default_message)]
    assert appointment.slot_id == slot.pk


def test_cancelled_appointment_offers_no_change(logged_in, applicant, slot):
    appointment = book(applicant, slot)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)

    detail = logged_in.get(reverse("booking:appointment_detail", args=[appointment.reference]))
    reschedule = logged_in.get(
        reverse("booking:appointment_reschedule", args=[appointment.reference])
    )

    assert not links_to(detail, reverse("booking:appointment_cancel", args=[appointment.reference]))
    assert reschedule.status_code == 302
    assert reschedule.url == reverse("booking:appointment_detail", args=[appointment.reference])
