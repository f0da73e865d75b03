"""The mediators' console, as a mediator uses it: find or register a person,
record their consent, book for them, open the convocation, cancel; what another
point's mediator, an applicant, an agent or a visitor get; the landing after
login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from booking.models import (
    AllocationMode,
    AllocationPolicy,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Site,
)
from booking.services import appointment_book
from mediation.models import Consent
from mediation.views.console import NOBODY_FOUND
from notifications.models import Message, MessageStatus
from tests import factories
from tests.auth import login
from tests.helpers.booking_pages import other_routes, routes_link_to, routes_missing
from tests.helpers.mediation_console import fr, messages_shown, post_consent
from tests.helpers.pages import without_tokens

pytestmark = pytest.mark.django_db

IDENTITY = {
    "surname": "Traoré",
    "given_names": "Moussa",
    "birth_date": "17/05/1990",
    "nationality": "ML",
    "document_type": "agdref",
    "document_number": "93 12 345 678",
}


# --- The whole flow -----------------------------------------------------------------------


def test_register_consent_book_convocation_cancel(web, mediator, point, site, procedure, slots):
    # Register a walk-in: the identity is recorded at the point, then its consent is asked.
    response = web.post(
        reverse("mediation:register"),
        {**IDENTITY, "phone": "06 12 34 56 78", "email": "", "language": "ar"},
    )
    person = Applicant.objects.get(document_number="9312345678")
    assert response.url == reverse("mediation:consent_give", args=[person.pk])
    assert (person.access_point_id, person.user_id) == (point.pk, None)
    assert (person.phone, person.preferred_language) == ("+33612345678", "ar")

    # Consent, given orally by the person, for booking.
    response = post_consent(web, person)
    assert response.url == reverse("mediation:person", args=[person.pk])
    consent = Consent.objects.get(applicant=person)
    assert (consent.mediator, consent.access_point, consent.method) == (mediator, point, "oral")

    # The booking path: procedures, places, the day's times (the point's pool first).
    page = web.get(reverse("mediation:book_procedures", args=[person.pk]))
    assert procedure.name in page.content.decode()
    page = web.get(reverse("mediation:book_sites", args=[person.pk, procedure.slug]))
    assert site.name in page.content.decode()
    day = timezone.localdate(slots["mediation"].starts_at).isoformat()
    page = web.get(
        reverse("mediation:book_days", args=[person.pk, procedure.slug, site.slug]), {"date": day}
    )
    html = page.content.decode()
    kept = reverse("mediation:book_confirm", args=[person.pk, slots["mediation"].pk])
    public = reverse("mediation:book_confirm", args=[person.pk, slots["public"].pk])
    assert kept in html and public in html
    assert html.index(kept) < html.index(public)

    # Confirm: booked in the person's name, by the mediator, at the point.
    assert web.get(kept).status_code == 200
    response = web.post(kept)
    appointment = Appointment.objects.get(applicant=person)
    assert response.url == reverse("mediation:person", args=[person.pk])
    assert appointment.reference in " ".join(messages_shown(web.get(response.url)))
    assert (appointment.booked_by, appointment.channel) == (mediator, Channel.MEDIATION)
    assert appointment.access_point_id == point.pk
    assert appointment.status == AppointmentStatus.BOOKED

    # The person's page: the appointment, its consent, the SMS owed and its state.
    Message.objects.filter(appointment=appointment, channel="sms").update(
        status=MessageStatus.DELIVERED, delivered_at=timezone.now()
    )
    page = web.get(reverse("mediation:person", args=[person.pk]))
    html = page.content.decode()
    assert appointment.reference in html
    assert "Delivered" in html or "Remis" in html
    try:
        convocation = reverse("booking:convocation", kwargs={"reference": appointment.reference})
    except NoReverseMatch:
        convocation = None  # the convocation (h-pdf) is not merged yet: no link
    if convocation is not None:
        assert convocation in html
        assert web.get(convocation).status_code == 200

    # Cancel.
    cancel = reverse("mediation:appointment_cancel", args=[person.pk, appointment.reference])
    assert web.get(cancel).status_code == 200
    response = web.post(cancel)
    assert response.url == reverse("mediation:person", args=[person.pk])
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == mediator


def test_found_by_document_then_consent_then_reachable(web, mediator, point):
    """Someone of no point (an account holder) is found with the document they hold;
    their page opens for the consent, and stays open once they gave it."""
    person = factories.ApplicantFactory()
    page = reverse("mediation:person", args=[person.pk])
    assert web.get(page).status_code == 404

    response = web.post(
        reverse("mediation:find"),
        {
            "by": "document",
            "document-document_number": person.document_number,
            "document-birth_date": person.birth_date.isoformat(),
        },
    )
    assert response.url == page
    assert post_consent(web, person).status_code == 302
    web.session.flush()  # a new session: reachable through the consent alone
    login(web, mediator)
    assert web.get(page).status_code == 200


def test_found_by_reference_and_birth_date(web, mediator, point, slot):
    person = factories.ApplicantFactory()
    booked = appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)

    wrong = web.post(
        reverse("mediation:find"),
        {
            "by": "reference",
            "reference-reference": booked.reference,
            "reference-birth_date": (person.birth_date - timedelta(days=1)).isoformat(),
        },
    )
    right = web.post(
        reverse("mediation:find"),
        {
            "by": "reference",
            "reference-reference": booked.reference.lower(),
            "reference-birth_date": person.birth_date.isoformat(),
        },
    )

    assert wrong.status_code == 200
    assert wrong.context["by_reference"].non_field_errors() == [str(NOBODY_FOUND)]
    assert right.url == reverse("mediation:person", args=[person.pk])


def test_nobody_is_found_by_name_nor_by_a_number_without_its_birth_date(web, point):
    person = factories.ApplicantFactory(user=None, access_point=point)
    for data in (
        {"by": "document", "document-document_number": person.surname},
        {"by": "document", "document-document_number": person.document_number},
        {
            "by": "document",
            "document-document_number": person.surname,
            "document-birth_date": person.birth_date.isoformat(),
        },
    ):
        response = web.post(reverse("mediation:find"), data)
        assert response.status_code == 200
        assert reverse("mediation:person", args=[person.pk]) not in response.content.decode()


def test_a_walk_in_already_on_file_is_found_not_created_twice(web, point):
    on_file = factories.ApplicantFactory(
        user=None,
        surname="Traoré",
        given_names="Moussa",
        nationality="ML",
        document_type="agdref",
        document_number="9312345678",
    )
    before = Applicant.objects.count()

    response = web.post(
        reverse("mediation:register"),
        {
            **IDENTITY,
            "birth_date": on_file.birth_date.isoformat(),
            "phone": "",
            "email": "",
            "language": "fr",
        },
    )

    assert Applicant.objects.count() == before
    assert response.url == reverse("mediation:consent_give", args=[on_file.pk])
    assert web.get(response.url).status_code == 200


def test_a_document_on_file_with_another_birth_date_is_refused_not_found(web, point):
    on_file = factories.ApplicantFactory(
        user=None, nationality="ML", document_type="agdref", document_number="9312345678"
    )
    before = Applicant.objects.count()

    response = web.post(
        reverse("mediation:register"),
        {**IDENTITY, "birth_date": "1970-01-01", "phone": "", "email": "", "language": "fr"},
    )

    assert response.status_code == 200
    assert fr(
        "This document is already on file with another date of birth. Check the "
        "date of birth with the person; nothing was created."
    ) in " ".join(response.context["form"].non_field_errors())
    assert Applicant.objects.count() == before
    assert reverse("mediation:person", args=[on_file.pk]) not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "scope"),
    [("mediation:find", "people_find"), ("mediation:register", "mediation")],
)
def test_the_console_posts_are_rate_limited(web, settings, name, scope):
    settings.RATELIMITS = {**settings.RATELIMITS, scope: {"account": (0, 60), "ip": (0, 60)}}

    response = web.post(reverse(name), {})

    assert response.status_code == 429


def test_a_walk_in_with_a_landline_is_refused_with_the_reason(web):
    response = web.post(
        reverse("mediation:register"),
        {**IDENTITY, "phone": "01 23 45 67 89", "email": "", "language": "fr"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not Applicant.objects.filter(document_number="9312345678").exists()


# --- Another point, other roles -----------------------------------------------------------


def test_another_points_mediator_gets_404_like_a_missing_person(point, slot):
    person = factories.ApplicantFactory(user=None, access_point=point)
    colleague = factories.MediatorFactory(access_point=point)
    factories.ConsentFactory(applicant=person, mediator=colleague)
    other = login(Client(), factories.MediatorFactory())
    missing = Applicant.objects.order_by("-pk").first().pk + 1000

    for name, args in (
        ("mediation:person", []),
        ("mediation:consent_give", []),
        ("mediation:book_procedures", []),
        ("mediation:book_confirm", [slot.pk]),
    ):
        theirs = other.get(reverse(name, args=[person.pk, *args]))
        nobody = other.get(reverse(name, args=[missing, *args]))
        assert theirs.status_code == nobody.status_code == 404, name
        assert without_tokens(theirs) == without_tokens(nobody)

    booked = other.post(reverse("mediation:book_confirm", args=[person.pk, slot.pk]))
    assert booked.status_code == 404
    assert not Appointment.objects.filter(applicant=person).exists()


@pytest.mark.parametrize("role", ["applicant", "agent"])
def test_applicants_and_agents_get_the_staff_refusal(role, site):
    user = (
        factories.ApplicantFactory().user
        if role == "applicant"
        else factories.AgentFactory(sites=[site])
    )
    web = login(Client(), user)

    for name in ("mediation:home", "mediation:find", "mediation:register"):
        response = web.get(reverse(name))
        assert response.status_code == 403
        assert "403.html" in [t.name for t in response.templates]
    assert web.get(reverse("mediation:cap_raise")).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("mediation:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_mediator_lands_on_the_console_after_login(mediator):
    from tests.auth import otp_device_confirm
    from tests.helpers.otp import totp_code

    device = otp_device_confirm(mediator)
    web = Client()
    response = web.post(
        reverse("accounts:login"),
        {"username": mediator.email, "password": factories.DEFAULT_PASSWORD},
        follow=True,
    )
    verify = response.redirect_chain[-1][0]
    landing = web.post(verify, {"code": totp_code(device)})

    assert landing.url == reverse("mediation:home")


def test_the_staff_only_page_links_mediators_to_their_console(web):
    response = web.get(reverse("booking:procedures"))

    assert response.status_code == 403
    assert reverse("mediation:home") in response.content.decode()


# --- Nothing free: the other routes ---------------------------------------------------------


def _walk_in(mediator, **consent):
    person = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    factories.ConsentFactory(applicant=person, mediator=mediator, **consent)
    return person


def _nothing_free(web, person, procedure):
    response = web.get(reverse("mediation:book_sites", args=[person.pk, procedure.slug]))
    assert other_routes(response)
    return response


def test_nothing_free_links_to_transparency_access_points_and_substitution(web, mediator):
    person, procedure = _walk_in(mediator), factories.ProcedureFactory()

    response = _nothing_free(web, person, procedure)

    assert routes_missing(response) == []
    # Not given out by a list: no waiting list to offer.
    assert not routes_link_to(response, reverse("mediation:waitlist_join", args=[person.pk]))


@pytest.mark.parametrize("at_a_site", [False, True])
def test_nothing_free_offers_the_waiting_list_where_it_gives_the_procedure_out(
    web, mediator, at_a_site
):
    person, procedure = _walk_in(mediator), factories.ProcedureFactory()
    site = factories.SiteFactory()
    AllocationPolicy.objects.create(
        procedure=procedure, site=site if at_a_site else None, mode=AllocationMode.QUEUE
    )

    response = _nothing_free(web, person, procedure)

    assert routes_link_to(response, reverse("mediation:waitlist_join", args=[person.pk]))
    assert routes_link_to(response, reverse("allocation:transparency"))


def test_nothing_free_asks_for_the_waiting_list_consent_before_offering_it(web, mediator):
    person, procedure = _walk_in(mediator, purposes=["booking"]), factories.ProcedureFactory()
    factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)

    response = _nothing_free(web, person, procedure)

    assert not routes_link_to(response, reverse("mediation:waitlist_join", args=[person.pk]))
    assert fr(
        "To put the person on a waiting list or act on their entries, record their consent "
        "for the waiting list first."
    ) in other_routes(response)


def test_nothing_free_does_not_offer_a_list_every_site_gives_out_openly(web, mediator):
    """The procedure's mode is the list, but each active site overrides it: as the
    join form, which would list no site for it."""
    person, procedure = _walk_in(mediator), factories.ProcedureFactory()
    site = factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    AllocationPolicy.objects.create(procedure=procedure, site=site, mode=AllocationMode.OPEN)
    Site.objects.exclude(pk=site.pk).update(is_active=False)

    response = _nothing_free(web, person, procedure)

    assert not routes_link_to(response, reverse("mediation:waitlist_join", args=[person.pk]))


def test_a_day_with_nothing_free_shows_the_other_routes_when_booking_or_moving(
    web, mediator, procedure, site
):
    """The days of a place and the change of time: on a day with nothing free,
    the box of the other routes (the waiting list is offered on the places page);
    on a day with free times, none."""
    person = _walk_in(mediator)
    starts_at = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, microsecond=0)
    booked = factories.SlotFactory(site=site, procedure=procedure, starts_at=starts_at)
    factories.SlotFactory(site=site, procedure=procedure, starts_at=starts_at + timedelta(hours=1))
    appointment = appointment_book(actor=mediator, applicant=person, slot_id=booked.pk)
    far = (timezone.localdate() + timedelta(days=40)).isoformat()
    days = reverse("mediation:book_days", args=[person.pk, procedure.slug, site.slug])
    move = reverse("mediation:appointment_reschedule", args=[person.pk, appointment.reference])

    for response in (web.get(days, {"date": far}), web.get(move, {"date": far})):
        assert response.status_code == 200
        assert routes_missing(response) == []
    free_day = timezone.localdate(starts_at).isoformat()
    assert other_routes(web.get(days, {"date": free_day})) == ""
