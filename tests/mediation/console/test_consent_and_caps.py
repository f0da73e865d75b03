"""The mediators' console: consents that are missing or withdrawn, a move, the
daily caps and the supervisors' raise of one, the point's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditAction, AuditEvent
from booking.models import Appointment, AppointmentStatus
from booking.services import appointment_book
from mediation.errors import ConsentRequired, DailyCapReached
from mediation.models import CapRaise, Consent
from mediation.services import consent_withdraw
from tests import factories
from tests.auth import login
from tests.helpers.mediation_console import fr, messages_shown, post_consent

pytestmark = pytest.mark.django_db

NO_CONSENT = "No valid consent: nothing can be done for this person until they give it."


# --- Consent ------------------------------------------------------------------------------


def test_booking_without_consent_is_refused_with_the_message(web, point, slots):
    person = factories.ApplicantFactory(user=None, access_point=point)
    confirm = reverse("mediation:book_confirm", args=[person.pk, slots["public"].pk])

    page = web.get(confirm)
    assert fr(NO_CONSENT) in page.content.decode()
    response = web.post(confirm, follow=True)

    assert str(ConsentRequired.default_message) in messages_shown(response)
    assert not Appointment.objects.filter(applicant=person).exists()


def test_a_withdrawn_consent_stops_the_next_action(web, mediator, point, slots):
    person = factories.ApplicantFactory(user=None, access_point=point)
    post_consent(web, person)
    consent = Consent.objects.get(applicant=person)
    web.post(reverse("mediation:book_confirm", args=[person.pk, slots["mediation"].pk]))
    appointment = Appointment.objects.get(applicant=person)

    response = web.post(
        reverse("mediation:consent_withdraw", args=[person.pk, consent.pk]), follow=True
    )
    assert fr("The consent is withdrawn: nothing more is done with it.") in messages_shown(response)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == mediator

    # The person's page still shows (registered at the point), with no valid consent.
    cancel = reverse("mediation:appointment_cancel", args=[person.pk, appointment.reference])
    assert fr(NO_CONSENT) in web.get(cancel).content.decode()
    response = web.post(cancel, follow=True)
    assert str(ConsentRequired.default_message) in messages_shown(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    move = reverse(
        "mediation:appointment_reschedule_confirm",
        args=[person.pk, appointment.reference, slots["public"].pk],
    )
    response = web.post(move, follow=True)
    assert str(ConsentRequired.default_message) in messages_shown(response)
    appointment.refresh_from_db()
    assert appointment.slot_id == slots["mediation"].pk


def test_a_consent_withdrawn_elsewhere_is_shown_withdrawn(web, mediator, point):
    person = factories.ApplicantFactory(user=None, access_point=point)
    consent = factories.ConsentFactory(applicant=person, mediator=mediator)
    consent_withdraw(actor=mediator, consent=consent)

    html = web.get(reverse("mediation:person", args=[person.pk])).content.decode()

    assert "Withdraw</button>" not in html.replace("\n", "")
    again = web.post(reverse("mediation:consent_withdraw", args=[person.pk, consent.pk]))
    assert again.status_code == 302  # "already withdrawn", shown on the person's page


def test_a_representatives_consent_needs_their_name(web, point):
    person = factories.ApplicantFactory(user=None, access_point=point)

    response = post_consent(web, person, given_by="representative", given_by_name="")

    assert response.status_code == 200
    assert response.context["form"].errors["given_by_name"]
    assert not Consent.objects.filter(applicant=person).exists()


def test_reschedule_from_the_console(web, mediator, point, slots):
    person = factories.ApplicantFactory(user=None, access_point=point)
    factories.ConsentFactory(applicant=person, mediator=mediator)
    web.post(reverse("mediation:book_confirm", args=[person.pk, slots["mediation"].pk]))
    appointment = Appointment.objects.get(applicant=person)
    day = timezone.localdate(slots["public"].starts_at).isoformat()

    page = web.get(
        reverse("mediation:appointment_reschedule", args=[person.pk, appointment.reference]),
        {"date": day},
    )
    move = reverse(
        "mediation:appointment_reschedule_confirm",
        args=[person.pk, appointment.reference, slots["public"].pk],
    )
    assert move in page.content.decode()
    assert web.get(move).status_code == 200
    response = web.post(move)

    assert response.url == reverse("mediation:person", args=[person.pk])
    appointment.refresh_from_db()
    assert appointment.slot_id == slots["public"].pk


# --- Caps ---------------------------------------------------------------------------------


def test_the_daily_cap_refuses_with_its_message(web, mediator, point, slots, settings):
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 0
    person = factories.ApplicantFactory(user=None, access_point=point)
    factories.ConsentFactory(applicant=person, mediator=mediator)

    response = web.post(
        reverse("mediation:book_confirm", args=[person.pk, slots["mediation"].pk]), follow=True
    )

    assert str(DailyCapReached.default_message) in messages_shown(response)
    assert not Appointment.objects.filter(applicant=person).exists()


def test_a_supervisor_raises_a_mediators_cap_for_a_day(point, mediator, slots, settings):
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 0
    supervisor = login(Client(), factories.UserFactory(role=Role.SUPERVISOR))
    page = supervisor.get(reverse("mediation:cap_raise"), {"access_point": point.pk})
    assert page.status_code == 200 and point.name in page.content.decode()

    response = supervisor.post(
        reverse("mediation:cap_raise"),
        {
            "access_point": point.pk,
            "mediator": mediator.pk,
            "day": timezone.localdate().isoformat(),
            "extra": 2,
            "reason": "Forum des droits: permanence exceptionnelle.",
        },
    )

    assert response.status_code == 302
    raised = CapRaise.objects.get()
    assert (raised.access_point, raised.mediator, raised.extra) == (point, mediator, 2)
    assert AuditEvent.objects.filter(action=AuditAction.CAP_RAISED).exists()
    person = factories.ApplicantFactory(user=None, access_point=point)
    factories.ConsentFactory(applicant=person, mediator=mediator)
    login(Client(), mediator).post(
        reverse("mediation:book_confirm", args=[person.pk, slots["mediation"].pk])
    )
    assert Appointment.objects.filter(applicant=person).exists()


def test_a_cap_raise_without_reason_or_for_a_past_day_is_refused(point):
    supervisor = login(Client(), factories.UserFactory(role=Role.SUPERVISOR))

    response = supervisor.post(
        reverse("mediation:cap_raise"),
        {
            "access_point": point.pk,
            "day": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "extra": 2,
            "reason": "",
        },
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"day", "reason"}
    assert not CapRaise.objects.exists()


def test_a_mediator_may_not_raise_a_cap(web):
    assert web.get(reverse("mediation:cap_raise")).status_code == 403


# --- The point's page, the landing ----------------------------------------------------------


def test_the_points_page_lists_its_bookings_consents_and_caps(web, mediator, point, slots):
    person = factories.ApplicantFactory(user=None, access_point=point)
    consent = factories.ConsentFactory(
        applicant=person, mediator=mediator, valid_until=timezone.localdate() + timedelta(days=2)
    )
    booked = appointment_book(actor=mediator, applicant=person, slot_id=slots["mediation"].pk)
    elsewhere = factories.ApplicantFactory()
    appointment_book(actor=elsewhere.user, applicant=elsewhere, slot_id=slots["public"].pk)

    html = web.get(reverse("mediation:home")).content.decode()

    assert booked.reference in html
    assert elsewhere.surname.upper() not in html
    assert reverse("mediation:person", args=[consent.applicant_id]) in html
    assert mediator.email in html or mediator.full_name in html
