"""The applicant's web pages: booking path, my appointments, cancel, reschedule, .ics."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta
from email.utils import parseaddr

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from booking import errors
from booking.ics import appointment_ics, fold_line
from booking.models import Applicant, Appointment, AppointmentStatus, Pool, Slot
from booking.services import appointment_book
from core.views import domain_errors
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


# --- Helpers -------------------------------------------------------------------------------


@pytest.fixture
def web(client):
    """A client whose pages come in English, so assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def logged_in(web, applicant):
    web.force_login(applicant.user)
    return web


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _local_day(slot: Slot) -> date:
    return timezone.localdate(slot.starts_at)


def _times_url(slot: Slot) -> str:
    return (
        reverse("booking:times", args=[slot.procedure.slug, slot.site.slug])
        + f"?date={_local_day(slot).isoformat()}"
    )


def _book(applicant: Applicant, slot: Slot) -> Appointment:
    return appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def _booked(slot: Slot) -> int:
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


def _href(response: HttpResponse, url: str) -> bool:
    return f'href="{url}"' in response.content.decode()


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("booking:procedures", []),
        ("booking:sites", ["some-procedure"]),
        ("booking:days", ["some-procedure", "some-site"]),
        ("booking:confirm", [1]),
        ("booking:identity", []),
        ("booking:my_appointments", []),
        ("booking:appointment_detail", ["ABCDEFGH"]),
        ("booking:appointment_ics", ["ABCDEFGH"]),
        ("booking:appointment_cancel", ["ABCDEFGH"]),
        ("booking:appointment_reschedule", ["ABCDEFGH"]),
    ],
)
def test_anonymous_is_sent_to_login(web, name, args):
    url = reverse(name, args=args)

    response = web.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_staff_get_a_clear_page_instead_of_the_booking_path(web, agent, slot):
    login(web, agent)

    response = web.get(reverse("booking:procedures"))
    post = web.post(reverse("booking:confirm", args=[slot.pk]))

    assert response.status_code == 403
    assert "These pages are for applicants" in response.content.decode()
    assert post.status_code == 403
    assert not Appointment.objects.exists()


def test_login_page_logs_an_applicant_in_and_lands_on_my_appointments(web, applicant):
    page = web.get(reverse("accounts:login"))

    response = web.post(
        reverse("accounts:login"),
        {"username": applicant.user.email, "password": factories.DEFAULT_PASSWORD},
    )

    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert response.status_code == 302
    assert response.url == reverse("booking:my_appointments")


def test_logout_is_a_post_form_in_the_header(logged_in):
    page = logged_in.get(reverse("booking:my_appointments")).content.decode()

    assert re.search(
        r'<form method="post" action="' + re.escape(reverse("accounts:logout")) + '"', page
    )


# --- The booking path ------------------------------------------------------------------------


def test_whole_path_books_an_appointment(logged_in, applicant, slot):
    procedure, site = slot.procedure, slot.site
    sites_url = reverse("booking:sites", args=[procedure.slug])
    days_url = reverse("booking:days", args=[procedure.slug, site.slug])
    confirm_url = reverse("booking:confirm", args=[slot.pk])

    procedures_page = logged_in.get(reverse("booking:procedures"))
    sites_page = logged_in.get(sites_url)
    days_page = logged_in.get(days_url)
    times_page = logged_in.get(_times_url(slot))
    confirm_page = logged_in.get(confirm_url)
    booked = logged_in.post(confirm_url)

    assert _href(procedures_page, sites_url)
    assert _href(sites_page, days_url)
    assert f"date={_local_day(slot).isoformat()}" in days_page.content.decode()
    assert _href(times_page, confirm_url)
    assert applicant.surname.upper() in confirm_page.content.decode()
    appointment = Appointment.objects.get(applicant=applicant)
    assert booked.status_code == 302
    assert booked.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert _booked(slot) == 1
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
    assert not _href(page, sites_url)
    assert "Not bookable online" in html
    assert _href(page, reverse("mediation:points"))
    assert direct.status_code == 404


def test_procedure_with_an_active_appointment_links_to_it(logged_in, applicant, slot):
    appointment = _book(applicant, slot)

    page = logged_in.get(reverse("booking:procedures"))

    assert _href(page, reverse("booking:appointment_detail", args=[appointment.reference]))
    assert not _href(page, reverse("booking:sites", args=[slot.procedure.slug]))


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
    _book(factories.ApplicantFactory(), slot)

    response = logged_in.post(confirm_url)

    assert response.status_code == 302
    assert response.url == _times_url(slot)
    assert _messages(response) == [str(errors.SlotFull.default_message)]
    assert not Appointment.objects.filter(applicant=applicant).exists()
    assert _booked(slot) == 1


def test_confirm_page_of_a_full_slot_sends_back_to_the_times(logged_in):
    slot = factories.SlotFactory(capacity=1, booked=1)

    response = logged_in.get(reverse("booking:confirm", args=[slot.pk]))

    assert response.status_code == 302
    assert response.url == _times_url(slot)
    assert "no longer available" in _messages(response)[0]


def test_second_booking_for_the_same_procedure_is_refused_with_a_message(
    logged_in, applicant, slot
):
    _book(applicant, slot)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    response = logged_in.post(reverse("booking:confirm", args=[other.pk]))

    assert response.status_code == 302
    assert _messages(response) == [str(errors.AlreadyBooked.default_message)]
    assert _booked(other) == 0


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
    assert _booked(slot) == 0


def test_unknown_slot_is_404(logged_in):
    assert logged_in.get(reverse("booking:confirm", args=[999_999])).status_code == 404
    assert logged_in.post(reverse("booking:confirm", args=[999_999])).status_code == 404


def test_unknown_procedure_or_site_is_404(logged_in, slot):
    assert logged_in.get(reverse("booking:sites", args=["nope"])).status_code == 404
    days = reverse("booking:days", args=[slot.procedure.slug, "nope"])
    assert logged_in.get(days).status_code == 404


# --- Nothing free ----------------------------------------------------------------------------


def test_nothing_free_anywhere_says_so_and_shows_the_alternatives(logged_in, procedure):
    response = logged_in.get(reverse("booking:sites", args=[procedure.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No free time at the moment" in html
    assert _href(response, reverse("mediation:points"))
    assert _href(response, reverse("mediation:substitution"))


def test_site_without_free_time_lists_the_other_sites_that_have_some(logged_in, procedure):
    empty_site = factories.SiteFactory()
    other = factories.SlotFactory(procedure=procedure)

    response = logged_in.get(reverse("booking:days", args=[procedure.slug, empty_site.slug]))

    html = response.content.decode()
    assert "No free time at this place" in html
    assert _href(response, reverse("booking:days", args=[procedure.slug, other.site.slug]))
    assert _href(response, reverse("mediation:points"))
    assert _href(response, reverse("mediation:substitution"))


def test_empty_week_points_to_the_next_free_day(logged_in, slot):
    later = factories.SlotFactory(
        site=slot.site,
        procedure=slot.procedure,
        starts_at=slot.starts_at + timedelta(days=21),
    )
    Slot.objects.filter(pk=slot.pk).update(booked=3)  # this week is now full
    days_url = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])

    response = logged_in.get(days_url + f"?from={_local_day(slot).isoformat()}")

    html = response.content.decode()
    assert "Nothing is free this week." in html
    monday = _local_day(later) - timedelta(days=_local_day(later).weekday())
    assert f"from={_local_day(later).isoformat()}" in html
    # Following it shows the week with the free day.
    week = logged_in.get(days_url + f"?from={_local_day(later).isoformat()}").content.decode()
    assert f"from={monday.isoformat()}&amp;date={_local_day(later).isoformat()}" in week


def test_week_defaults_to_the_first_free_week_and_links_both_ways(logged_in):
    slot = factories.SlotFactory(starts_at=timezone.now() + timedelta(days=15))
    days_url = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])
    day = _local_day(slot)
    monday = day - timedelta(days=day.weekday())

    html = logged_in.get(days_url).content.decode()

    assert f"date={day.isoformat()}" in html
    assert f"?from={(monday - timedelta(days=7)).isoformat()}" in html
    assert f"?from={(monday + timedelta(days=7)).isoformat()}" in html


@pytest.mark.parametrize(
    "value",
    ["garbage", "2024-13-45", "9999-12-31", "0001-01-01", "", "2024-02-30", "1" * 500, "%00"],
)
def test_bad_dates_fall_back_gracefully(logged_in, applicant, slot, value):
    days_url = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])
    times_url = reverse("booking:times", args=[slot.procedure.slug, slot.site.slug])
    appointment = _book(applicant, factories.SlotFactory(site=slot.site, procedure=slot.procedure))
    reschedule_url = reverse("booking:appointment_reschedule", args=[appointment.reference])

    days = logged_in.get(days_url, {"from": value})
    times = logged_in.get(times_url, {"date": value})
    reschedule = logged_in.get(reschedule_url, {"from": value, "date": value, "site": value})

    assert days.status_code == 200
    if value in ("9999-12-31", "0001-01-01"):
        assert times.status_code == 200  # a real date, simply with no free time
    else:
        assert times.status_code == 302 and times.url == days_url
    assert reschedule.status_code == 200


# --- My appointments, cancel, reschedule ------------------------------------------------------


def test_my_appointments_lists_upcoming_and_cancelled(logged_in, applicant, slot):
    upcoming = _book(applicant, slot)
    other_procedure = factories.SlotFactory()
    cancelled = _book(applicant, other_procedure)
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)
    someone_else = _book(factories.ApplicantFactory(), factories.SlotFactory())

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
    theirs = _book(other_applicant, slot)

    response = getattr(logged_in, method)(reverse(name, args=[theirs.reference]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_another_applicants_reference_cannot_be_rescheduled(logged_in, other_applicant, slot):
    theirs = _book(other_applicant, slot)
    target = factories.SlotFactory(site=slot.site, procedure=slot.procedure)
    url = reverse("booking:appointment_reschedule_confirm", args=[theirs.reference, target.pk])

    assert logged_in.get(url).status_code == 404
    assert logged_in.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.slot_id == slot.pk


def test_reference_is_found_whatever_its_case(logged_in, applicant, slot):
    appointment = _book(applicant, slot)

    url = reverse("booking:appointment_detail", args=[appointment.reference.lower()])

    assert logged_in.get(url).status_code == 200


def test_cancel_asks_first_then_cancels_on_post(logged_in, applicant, slot):
    appointment = _book(applicant, slot)
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
    assert _booked(slot) == 0
    assert appointment.reference in _messages(response)[0]


def test_cancelling_twice_says_it_is_no_longer_active(logged_in, applicant, slot):
    appointment = _book(applicant, slot)
    url = reverse("booking:appointment_cancel", args=[appointment.reference])
    logged_in.post(url, follow=True)  # the first cancel, its message shown

    again = logged_in.post(url)

    assert again.status_code == 302
    assert again.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert _messages(again) == [str(errors.AppointmentNotActive.default_message)]
    assert _booked(slot) == 0


def test_reschedule_moves_the_appointment_on_post(logged_in, applicant, slot):
    appointment = _book(applicant, slot)
    target = factories.SlotFactory(
        site=slot.site, procedure=slot.procedure, starts_at=slot.starts_at + timedelta(days=1)
    )
    page_url = reverse("booking:appointment_reschedule", args=[appointment.reference])
    confirm_url = reverse(
        "booking:appointment_reschedule_confirm", args=[appointment.reference, target.pk]
    )

    week = logged_in.get(page_url).content.decode()
    day = logged_in.get(page_url, {"site": slot.site.slug, "date": _local_day(target)})
    confirm = logged_in.get(confirm_url)
    response = logged_in.post(confirm_url)

    assert f"date={_local_day(target).isoformat()}" in week
    assert _href(day, confirm_url)
    assert reverse("booking:confirm", args=[slot.pk]) not in day.content.decode()
    assert confirm.status_code == 200
    appointment.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert appointment.slot_id == target.pk
    assert appointment.reschedule_count == 1
    assert (_booked(slot), _booked(target)) == (0, 1)


def test_reschedule_to_a_full_slot_keeps_the_old_appointment(logged_in, applicant, slot):
    appointment = _book(applicant, slot)
    target = factories.SlotFactory(site=slot.site, procedure=slot.procedure, capacity=1)
    url = reverse("booking:appointment_reschedule_confirm", args=[appointment.reference, target.pk])
    _book(factories.ApplicantFactory(), target)

    response = logged_in.post(url)

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert response.url.startswith(
        reverse("booking:appointment_reschedule", args=[appointment.reference])
    )
    assert _messages(response) == [str(errors.SlotFull.default_message)]
    assert appointment.slot_id == slot.pk
    assert (_booked(slot), _booked(target)) == (1, 1)


def test_reschedule_to_another_procedure_is_404(logged_in, applicant, slot):
    appointment = _book(applicant, slot)
    elsewhere = factories.SlotFactory()
    url = reverse(
        "booking:appointment_reschedule_confirm", args=[appointment.reference, elsewhere.pk]
    )

    assert logged_in.get(url).status_code == 404
    response = logged_in.post(url)

    appointment.refresh_from_db()
    assert response.status_code == 302  # back to the choice, as for a slot that does not exist
    assert response.url == reverse("booking:appointment_reschedule", args=[appointment.reference])
    assert _messages(response) == [str(errors.SlotNotFound.default_message)]
    assert appointment.slot_id == slot.pk


def test_cancelled_appointment_offers_no_change(logged_in, applicant, slot):
    appointment = _book(applicant, slot)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)

    detail = logged_in.get(reverse("booking:appointment_detail", args=[appointment.reference]))
    reschedule = logged_in.get(
        reverse("booking:appointment_reschedule", args=[appointment.reference])
    )

    assert not _href(detail, reverse("booking:appointment_cancel", args=[appointment.reference]))
    assert reschedule.status_code == 302
    assert reschedule.url == reverse("booking:appointment_detail", args=[appointment.reference])


# --- .ics ------------------------------------------------------------------------------------


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _properties(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in _unfold(text):
        if line:
            name, _, value = line.partition(":")
            found.setdefault(name, []).append(value)
    return found


@pytest.fixture
def tricky_appointment(applicant):
    site = factories.SiteFactory(
        name="Préfecture; accueil, étrangers \\ bâtiment B",
        address="1 esplanade Jean Moulin",
        access_info="Métro ligne 5, arrêt « Bobigny - Pablo Picasso », puis 5 minutes à pied.",
    )
    procedure = factories.ProcedureFactory(
        name="Renouvellement de titre de séjour",
        documents_to_bring=(
            "Passeport en cours de validité (toutes les pages tamponnées, visas, cachets)\n"
            "Justificatif de domicile de moins de 3 mois; facture, quittance\n"
            "3 photos d'identité conformes aux normes ISO/IEC 19794-5:2005"
        ),
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)
    return _book(applicant, slot)


def test_ics_is_rfc5545_with_crlf_folding_and_escaping(tricky_appointment):
    appointment = Appointment.objects.select_related("slot__site", "procedure").get(
        pk=tricky_appointment.pk
    )

    text = appointment_ics(appointment)

    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    raw_lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in raw_lines)
    assert any(line.startswith(" ") for line in raw_lines)  # something was folded
    props = _properties(text)
    assert props["BEGIN"] == ["VCALENDAR", "VEVENT"]
    assert props["END"] == ["VEVENT", "VCALENDAR"]
    assert props["VERSION"] == ["2.0"]
    assert props["UID"] == [f"{appointment.reference}@guichet"]
    slot = appointment.slot
    assert props["DTSTART"] == [slot.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert props["DTEND"] == [slot.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"][0])
    assert props["STATUS"] == ["CONFIRMED"]
    assert props["METHOD"] == ["PUBLISH"]
    assert props["ORGANIZER"] == [f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"]
    location = props["LOCATION"][0]
    assert "\\;" in location and "\\," in location and "\\\\" in location
    assert _unescape(location) == f"{slot.site.name}, {slot.site.full_address}"
    description = _unescape(props["DESCRIPTION"][0])
    assert appointment.reference in description
    for document in appointment.procedure.document_list:
        assert f"- {document}" in description
    assert "Renouvellement de titre de séjour" in _unescape(props["SUMMARY"][0])


def test_ics_folding_never_splits_a_character():
    line = "DESCRIPTION:" + "é" * 100 + "€" * 40

    folded = fold_line(line)

    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(part[1:] for part in parts[1:])]) == line


def test_ics_of_a_cancelled_appointment_says_cancelled(applicant, slot):
    appointment = _book(applicant, slot)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    appointment.refresh_from_db()

    assert "STATUS:CANCELLED\r\n" in appointment_ics(appointment)


def test_ics_download(logged_in, applicant, slot):
    appointment = _book(applicant, slot)

    response = logged_in.get(reverse("booking:appointment_ics", args=[appointment.reference]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert f"UID:{appointment.reference}@guichet\r\n" in response.content.decode()


# --- Error translation --------------------------------------------------------------------------


def test_domain_error_without_fallback_renders_its_message_and_status():
    @domain_errors()
    def view(request):
        raise errors.SlotFull()

    request = RequestFactory().get("/")
    request.user = factories.UserFactory.build()

    response = view(request)

    assert response.status_code == 409
    assert str(errors.SlotFull.default_message) in response.content.decode()


def test_domain_error_message_is_in_the_users_language(client, applicant, slot):
    client.force_login(applicant.user)
    _book(applicant, slot)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    response = client.post(reverse("booking:confirm", args=[other.pk]), follow=True)

    with translation.override("fr"):
        french = str(errors.AlreadyBooked.default_message)
    with translation.override("en"):
        assert french != str(errors.AlreadyBooked.default_message)  # a real translation
    assert french in response.content.decode()


# --- Public pages ----------------------------------------------------------------------------


def test_home_explains_booking_is_free_and_where_to_get_help(web):
    response = web.get(reverse("home"))

    html = response.content.decode()
    assert "Never pay anyone for an appointment" in html
    assert _href(response, reverse("booking:procedures"))
    assert _href(response, reverse("booking:my_appointments"))
    assert _href(response, reverse("mediation:points"))
    assert _href(response, reverse("mediation:substitution"))


def test_pages_are_french_by_default_and_english_on_request(client):
    french = client.get(reverse("home"))
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True
    )

    assert '<html lang="fr"' in french.content.decode()
    assert "Ne payez jamais" in french.content.decode()
    assert '<html lang="en"' in switched.content.decode()
    assert "Never pay anyone" in switched.content.decode()


def test_mediation_points_lists_the_active_access_points(web):
    open_point = factories.AccessPointFactory(phone="01 23 45 67 89", opening_hours="Lundi 9h-12h")
    closed = factories.AccessPointFactory(is_active=False)

    response = web.get(reverse("mediation:points"))

    html = response.content.decode()
    assert response.status_code == 200
    assert open_point.name in html and "tel:0123456789" in html and "Lundi 9h-12h" in html
    assert closed.name not in html


def test_substitution_page_explains_the_route_with_the_sites_addresses(web, site):
    response = web.get(reverse("mediation:substitution"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "registered letter" in html
    assert site.full_address in html
    assert _href(response, reverse("mediation:points"))


# --- Query counts ------------------------------------------------------------------------------


def _busy_calendar(procedure, sites=3, per_site=12):
    for _ in range(sites):
        site = factories.SiteFactory()
        for _ in range(per_site):
            factories.SlotFactory(site=site, procedure=procedure)


def test_booking_pages_do_a_bounded_number_of_queries(
    logged_in, applicant, slot, django_assert_max_num_queries
):
    _busy_calendar(slot.procedure)
    factories.ProcedureFactory.create_batch(5)
    _book(applicant, factories.SlotFactory())  # an appointment for another procedure
    procedure, site = slot.procedure, slot.site
    empty_site = factories.SiteFactory()
    # Session and user are 2 of each count; none grows with the number of slots.
    bounds = [
        (reverse("booking:procedures"), 5),
        (reverse("booking:sites", args=[procedure.slug]), 4),
        (reverse("booking:days", args=[procedure.slug, site.slug]), 6),
        (reverse("booking:days", args=[procedure.slug, empty_site.slug]), 9),
        (_times_url(slot), 5),
        (reverse("booking:confirm", args=[slot.pk]), 5),
    ]
    for url, most in bounds:
        with django_assert_max_num_queries(most):
            assert logged_in.get(url).status_code == 200


def test_appointment_pages_do_a_bounded_number_of_queries(
    logged_in, applicant, django_assert_max_num_queries
):
    appointments = [_book(applicant, factories.SlotFactory()) for _ in range(6)]
    _busy_calendar(appointments[0].procedure)
    reference = appointments[0].reference
    day = _local_day(appointments[0].slot).isoformat()
    bounds = [
        (reverse("booking:my_appointments"), 4),
        (reverse("booking:appointment_detail", args=[reference]), 3),
        (reverse("booking:appointment_ics", args=[reference]), 3),
        (reverse("booking:appointment_cancel", args=[reference]), 3),
        (reverse("booking:appointment_reschedule", args=[reference]), 8),
        (reverse("booking:appointment_reschedule", args=[reference]) + f"?date={day}", 9),
    ]
    for url, most in bounds:
        with django_assert_max_num_queries(most):
            assert logged_in.get(url).status_code == 200


def test_unconfirmed_account_is_sent_to_confirm_before_booking(web, slot):
    user = factories.UnverifiedUserFactory()
    factories.ApplicantFactory(user=user)
    web.force_login(user)

    for method in (web.get, web.post):
        response = method(reverse("booking:confirm", args=[slot.pk]))

        assert response.status_code == 302
        assert response.url == reverse("accounts:verify")
    assert _booked(slot) == 0
