"""The applicant's booking path: procedure, site, time, identity, confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import errors
from booking.models import Applicant, Appointment, Pool
from tests import factories
from tests.helpers.booking_pages import (
    book,
    booked_seats,
    links_to,
    local_day,
    messages_of,
    times_url_of,
)

pytestmark = pytest.mark.django_db


# --- The booking path ------------------------------------------------------------------------


def test_whole_path_books_an_appointment(logged_in, applicant, slot):
    procedure, site = slot.procedure, slot.site
    sites_url = reverse("booking:sites", args=[procedure.slug])
    days_url = reverse("booking:days", args=[procedure.slug, site.slug])
    confirm_url = reverse("booking:confirm", args=[slot.pk])

    procedures_page = logged_in.get(reverse("booking:procedures"))
    sites_page = logged_in.get(sites_url)
    days_page = logged_in.get(days_url)
    times_page = logged_in.get(times_url_of(slot))
    confirm_page = logged_in.get(confirm_url)
    booked = logged_in.post(confirm_url)

    assert links_to(procedures_page, sites_url)
    assert links_to(sites_page, days_url)
    assert f"date={local_day(slot).isoformat()}" in days_page.content.decode()
    assert links_to(times_page, confirm_url)
    assert applicant.surname.upper() in confirm_page.content.decode()
    appointment = Appointment.objects.get(applicant=applicant)
    assert booked.status_code == 302
    assert booked.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert booked_seats(slot) == 1
    assert appointment.channel == "web"
    detail = logged_in.get(booked.url).content.decode()
    assert appointment.reference in detail
    assert site.address in detail and site.city in detail
    assert "Justificatif de domicile" in detail
    assert reverse("booking:appointment_ics", args=[appointment.reference]) in detail


def test_procedure_booked_by_staff_only_has_a_note_and_no_booking_link(logged_in):
    procedure = factories.ProcedureFactory(self_booking=False)
    factories.SlotFactory(procedure=procedure)
    sites_url = reverse("booking:sites", args=[procedure.slug])

    page = logged_in.get(reverse("booking:procedures"))
    direct = logged_in.get(sites_url)

    html = page.content.decode()
    assert procedure.name in html
    assert not links_to(page, sites_url)
    assert "Not bookable online" in html
    assert links_to(page, reverse("mediation:points"))
    assert direct.status_code == 404


def test_procedure_with_an_active_appointment_links_to_it(logged_in, applicant, slot):
    appointment = book(applicant, slot)

    page = logged_in.get(reverse("booking:procedures"))

    assert links_to(page, reverse("booking:appointment_detail", args=[appointment.reference]))
    assert not links_to(page, reverse("booking:sites", args=[slot.procedure.slug]))


def test_confirm_without_identity_asks_for_it_then_comes_back(web, slot):
    user = factories.UserFactory()
    web.force_login(user)
    confirm_url = reverse("booking:confirm", args=[slot.pk])

    first = web.get(confirm_url)
    assert first.status_code == 302
    assert first.url.startswith(reverse("booking:identity"))
    form_page = web.get(first.url)
    assert form_page.status_code == 200
    assert f'value="{confirm_url}"' in form_page.content.decode()

    recorded = web.post(
        reverse("booking:identity"),
        {
            "surname": "Traoré",
            "given_names": "Moussa",
            "birth_date": "17/05/1990",
            "nationality": "ML",
            "document_type": "agdref",
            "document_number": "93 12 345 678",
            "certify": "on",
            "next": confirm_url,
        },
    )

    assert recorded.status_code == 302
    assert recorded.url == confirm_url
    applicant = Applicant.objects.get(user=user)
    assert applicant.document_number == "9312345678"
    # No contacts of its own: the messages go to the account's confirmed ones.
    assert (applicant.phone, applicant.email) == ("", "")
    assert web.get(confirm_url).status_code == 200


def test_identity_taken_shows_as_a_form_error(web, applicant):
    user = factories.UserFactory()
    web.force_login(user)

    response = web.post(
        reverse("booking:identity"),
        {
            "surname": "Someone",
            "given_names": "Else",
            "birth_date": "1990-05-17",
            "nationality": str(applicant.nationality),
            "document_type": applicant.document_type,
            "document_number": applicant.document_number,
            "certify": "on",
        },
    )

    assert response.status_code == 200
    assert str(errors.IdentityTaken.default_message) in response.content.decode()
    assert not Applicant.objects.filter(user=user).exists()


def test_invalid_identity_shows_the_service_reason(web):
    user = factories.UserFactory()
    web.force_login(user)

    response = web.post(
        reverse("booking:identity"),
        {
            "surname": "Traoré",
            "given_names": "Moussa",
            "birth_date": "1990-05-17",
            "nationality": "ML",
            "document_type": "agdref",
            "document_number": "123",
            "certify": "on",
        },
    )

    assert response.status_code == 200
    assert "exactly 10 digits" in response.content.decode()
    assert not Applicant.objects.filter(user=user).exists()


def test_identity_on_file_cannot_be_posted_over(logged_in, applicant):
    before = Applicant.objects.values().get(pk=applicant.pk)

    page = logged_in.get(reverse("booking:identity"))
    posted = logged_in.post(
        reverse("booking:identity"),
        {"surname": "Changed", "given_names": "Name", "birth_date": "1980-01-01"},
    )

    assert "cannot be changed" in page.content.decode()
    assert posted.status_code == 302
    assert Applicant.objects.values().get(pk=applicant.pk) == before


def test_full_slot_race_shows_a_clear_message_and_books_nothing(logged_in, applicant):
    slot = factories.SlotFactory(capacity=1)
    confirm_url = reverse("booking:confirm", args=[slot.pk])
    assert logged_in.get(confirm_url).status_code == 200
    # Someone else takes the last seat between the page and the click.
    book(factories.ApplicantFactory(), slot)

    response = logged_in.post(confirm_url)

    assert response.status_code == 302
    assert response.url == times_url_of(slot)
    assert messages_of(response) == [str(errors.SlotFull.default_message)]
    assert not Appointment.objects.filter(applicant=applicant).exists()
    assert booked_seats(slot) == 1


def test_confirm_page_of_a_full_slot_sends_back_to_the_times(logged_in):
    slot = factories.SlotFactory(capacity=1, booked=1)

    response = logged_in.get(reverse("booking:confirm", args=[slot.pk]))

    assert response.status_code == 302
    assert response.url == times_url_of(slot)
    assert "no longer available" in messages_of(response)[0]


def test_second_booking_for_the_same_procedure_is_refused_with_a_message(
    logged_in, applicant, slot
):
    book(applicant, slot)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    response = logged_in.post(reverse("booking:confirm", args=[other.pk]))

    assert response.status_code == 302
    assert messages_of(response) == [str(errors.AlreadyBooked.default_message)]
    assert booked_seats(other) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"pool": Pool.MEDIATION},
        {"published_at_delta": timedelta(hours=2)},
    ],
    ids=["reserved-pool", "not-yet-published"],
)
def test_slots_an_applicant_may_not_see_are_404(logged_in, changes):
    fields = {}
    if "pool" in changes:
        fields["pool"] = changes["pool"]
    if "published_at_delta" in changes:
        fields["published_at"] = timezone.now() + changes["published_at_delta"]
    slot = factories.SlotFactory(**fields)

    get = logged_in.get(reverse("booking:confirm", args=[slot.pk]))
    post = logged_in.post(reverse("booking:confirm", args=[slot.pk]))

    assert get.status_code == 404
    assert post.status_code == 404
    assert booked_seats(slot) == 0


def test_unknown_slot_is_404(logged_in):
    assert logged_in.get(reverse("booking:confirm", args=[999_999])).status_code == 404
    assert logged_in.post(reverse("booking:confirm", args=[999_999])).status_code == 404


def test_unknown_procedure_or_site_is_404(logged_in, slot):
    assert logged_in.get(reverse("booking:sites", args=["nope"])).status_code == 404
    days = reverse("booking:days", args=[slot.procedure.slug, "nope"])
    assert logged_in.get(days).status_code == 404
