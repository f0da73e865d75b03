"""The agents' pages about people, as an agent uses them at the counter: find a
person by reference, document number, or surname and date of birth; their
page; register a walk-in (twice: the same record); book for them from the
priority pool, cancel, move. What an agent of another site gets: 404, exactly
like a person or an appointment that does not exist. Supervisors see all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.models import AuditAction, AuditEvent
from backoffice.people_selectors import FOUND_AT_MOST
from backoffice.views.people import NOBODY_FOUND
from booking.models import (
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Pool,
)
from booking.services import appointment_book
from notifications.models import Message, MessageStatus
from tests import factories
from tests.auth import login
from tests.helpers.pages import without_tokens

pytestmark = pytest.mark.django_db


def _fr(msgid: str) -> str:
    with translation.override("fr"):
        return gettext(msgid)


WALK_IN = {
    "surname": "Traoré",
    "given_names": "Moussa",
    "birth_date": "17/05/1990",
    "nationality": "ML",
    "document_type": "agdref",
    "document_number": "93 12 345 678",
    "phone": "",
    "email": "",
    "language": "fr",
}


@pytest.fixture
def other_site():
    return factories.SiteFactory()


@pytest.fixture
def other_agent(other_site):
    return factories.AgentFactory(sites=[other_site])


@pytest.fixture
def soon():
    return (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def slots(site, other_site, procedure, soon):
    """At the site: a priority time, a public one an hour later; a time at the other site."""
    return {
        "priority": factories.SlotFactory(
            site=site, procedure=procedure, starts_at=soon, pool=Pool.PRIORITY
        ),
        "public": factories.SlotFactory(
            site=site, procedure=procedure, starts_at=soon + timedelta(hours=1)
        ),
        "other": factories.SlotFactory(site=other_site, procedure=procedure, starts_at=soon),
    }


@pytest.fixture
def here(slots, supervisor):
    """A person booked (by a supervisor) at the site."""
    person = factories.ApplicantFactory(surname="Diallo", birth_date=date(1990, 5, 17))
    appointment_book(actor=supervisor, applicant=person, slot_id=slots["public"].pk)
    return person


@pytest.fixture
def there(slots, supervisor):
    """A person booked only at the other site."""
    person = factories.ApplicantFactory(surname="Koné", birth_date=date(1985, 1, 2))
    appointment_book(actor=supervisor, applicant=person, slot_id=slots["other"].pk)
    return person


@pytest.fixture
def web(agent) -> Client:
    return login(Client(), agent)


def _search(client: Client, by: str, **fields):
    return client.post(
        reverse("agent:search"), {"by": by, **{f"{by}-{k}": v for k, v in fields.items()}}
    )


def _person_url(person) -> str:
    return reverse("agent:person", args=[person.pk])


# --- Searching ---------------------------------------------------------------------------


def test_search_by_reference_finds_the_person(web, here):
    reference = here.appointments.get().reference
    response = _search(web, "reference", reference=f" {reference.lower()} ")
    assert response.status_code == 302
    assert response["Location"] == _person_url(here)


def test_search_by_document_number_is_normalised(web, here):
    spaced = f"{here.document_number[:2]} {here.document_number[2:6]}-{here.document_number[6:]}"
    response = _search(web, "document", document_number=spaced.lower())
    assert response["Location"] == _person_url(here)


def test_search_by_document_number_as_booked_before_a_correction(web, here, supervisor):
    booked_as = here.document_number
    Applicant.objects.filter(pk=here.pk).update(document_number="9300000001")
    response = _search(web, "document", document_number=booked_as)
    assert response["Location"] == _person_url(here)


def test_search_by_surname_and_birth_date_is_normalised(web, here):
    response = _search(web, "name", surname="  diallo ", birth_date="1990-05-17")
    assert response["Location"] == _person_url(here)


def test_surname_without_birth_date_is_refused(web, here):
    response = _search(web, "name", surname="Diallo", birth_date="")
    assert response.status_code == 200
    assert response.context["forms"]["name"].errors["birth_date"] == [
        _fr("Enter the date of birth too: nobody is searched by surname alone.")
    ]
    assert "found" not in response.context


def test_several_people_are_listed_at_most_twenty(web, slots, supervisor):
    many = factories.SlotFactory(
        site=slots["public"].site, procedure=slots["public"].procedure, capacity=30
    )
    for _ in range(FOUND_AT_MOST + 2):
        person = factories.ApplicantFactory(surname="Ba", birth_date=date(2000, 1, 1))
        appointment_book(actor=supervisor, applicant=person, slot_id=many.pk)
    response = _search(web, "name", surname="BA", birth_date="2000-01-01")
    assert response.status_code == 200
    found = response.context["found"]
    assert len(found.people) == FOUND_AT_MOST
    assert found.more
    assert reverse("agent:person", args=[found.people[0].pk]) in response.content.decode()


def test_nobody_found_is_one_message_on_the_form(web, here):
    response = _search(web, "document", document_number="ZZ9999999")
    assert response.status_code == 200
    assert response.context["forms"]["document"].non_field_errors() == [_fr(NOBODY_FOUND)]


def test_an_agent_does_not_find_a_person_of_another_site(web, there):
    reference = there.appointments.get().reference
    answers = [
        _search(web, "reference", reference=reference),
        _search(web, "document", document_number=there.document_number),
        _search(web, "name", surname=there.surname, birth_date=there.birth_date.isoformat()),
    ]
    for response in answers:
        assert response.status_code == 200
        assert response.context["searched"]
        assert "found" not in response.context


def test_a_supervisor_finds_anyone(supervisor, there):
    client = login(Client(), supervisor)
    response = _search(client, "document", document_number=there.document_number)
    assert response["Location"] == _person_url(there)


def test_searches_are_rate_limited(web, settings, here):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "agent_search": {"account": (1, 60), "ip": (100, 60)},
    }
    assert _search(web, "document", document_number=here.document_number).status_code == 302
    assert _search(web, "document", document_number=here.document_number).status_code == 429
    # The empty form is not a search: never counted.
    assert web.get(reverse("agent:search")).status_code == 200


def test_others_than_agents_are_refused(here, mediator):
    assert login(Client(), mediator).get(reverse("agent:search")).status_code == 403
    assert login(Client(), here.user).get(_person_url(here)).status_code == 403
    assert Client().get(reverse("agent:search")).status_code == 302


# --- The person's page -------------------------------------------------------------------


def test_the_person_page_shows_identity_appointments_and_messages(web, here):
    appointment = here.appointments.get()
    Message.objects.filter(appointment=appointment).update(status=MessageStatus.DELIVERED)
    response = web.get(_person_url(here))
    page = response.content.decode()
    assert response.status_code == 200
    assert here.document_number in page
    assert appointment.reference in page
    assert reverse("booking:convocation_pdf", args=[appointment.reference]) in page
    assert reverse("agent:appointment_cancel", args=[here.pk, appointment.reference]) in page
    assert reverse("agent:identity_correct", args=[here.pk]) in page
    sent = response.context["sent_messages"]
    assert sent and {m.appointment_id for m in sent} == {appointment.pk}
    assert all(m.delivery.state == "delivered" for m in sent)


def test_appointments_at_another_site_show_only_their_procedure(web, here, procedure, soon):
    second = factories.ProcedureFactory(name="Naturalisation")
    elsewhere = factories.SlotFactory(
        site=factories.SiteFactory(), procedure=second, starts_at=soon
    )
    booked = appointment_book(
        actor=factories.UserFactory(role="supervisor"), applicant=here, slot_id=elsewhere.pk
    )
    response = web.get(_person_url(here))
    page = response.content.decode()
    assert "Naturalisation" in page
    assert booked.reference not in page
    assert elsewhere.site.name not in page
    assert booked.pk not in [a.pk for a in response.context["appointments"]]
    assert not Message.objects.filter(appointment=booked).filter(
        pk__in=[m.pk for m in response.context["sent_messages"]]
    )


def test_a_person_of_another_site_answers_like_a_missing_one(web, there):
    missing = web.get(reverse("agent:person", args=[2**31 - 1]))
    hidden = web.get(_person_url(there))
    assert missing.status_code == hidden.status_code == 404
    assert without_tokens(hidden) == without_tokens(missing)
    appointment = there.appointments.get()
    for url in (
        reverse("agent:book_procedures", args=[there.pk]),
        reverse("agent:appointment_cancel", args=[there.pk, appointment.reference]),
        reverse("agent:appointment_reschedule", args=[there.pk, appointment.reference]),
    ):
        assert web.get(url).status_code == 404
    assert (
        web.post(reverse("agent:appointment_cancel", args=[there.pk, appointment.reference]))
    ).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_a_supervisor_opens_anyone(supervisor, there):
    assert login(Client(), supervisor).get(_person_url(there)).status_code == 200


# --- Registering a walk-in ---------------------------------------------------------------


def test_registering_a_walk_in_is_audited_and_opens_their_page(web, agent):
    response = web.post(reverse("agent:register"), WALK_IN)
    person = Applicant.objects.get(document_number="9312345678")
    assert response["Location"] == _person_url(person)
    assert person.user_id is None and person.access_point_id is None
    event = AuditEvent.objects.get(action=AuditAction.IDENTITY_RECORDED, applicant=person)
    assert event.actor_id == agent.pk and event.details["walk_in"] is True
    assert web.get(_person_url(person)).status_code == 200
    # No consent for agents: they act under the prefecture's authority.
    assert not person.consents.exists()


def test_registering_twice_finds_the_same_record(web, agent, other_agent):
    person_registrar = agent
    web.post(reverse("agent:register"), WALK_IN)
    again = web.post(reverse("agent:register"), {**WALK_IN, "document_number": "9312345678"})
    person = Applicant.objects.get()
    assert again["Location"] == _person_url(person)
    # Another agent, with the document in hand, is taken to the same record.
    elsewhere = login(Client(), other_agent).post(reverse("agent:register"), WALK_IN)
    assert elsewhere["Location"] == _person_url(person)
    assert Applicant.objects.count() == 1
    found = AuditEvent.objects.filter(action=AuditAction.IDENTITY_FOUND_ON_FILE, applicant=person)
    assert sorted(found.values_list("actor_id", flat=True)) == sorted(
        [person_registrar.pk, other_agent.pk]
    )


def test_registering_a_document_on_file_with_another_birth_date_creates_nothing(web):
    web.post(reverse("agent:register"), WALK_IN)
    response = web.post(reverse("agent:register"), {**WALK_IN, "birth_date": "18/05/1990"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Applicant.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.IDENTITY_FOUND_ON_FILE).exists()


def test_a_walk_in_registered_by_another_agent_stays_out_of_reach(web, other_agent):
    web.post(reverse("agent:register"), WALK_IN)
    person = Applicant.objects.get()
    assert login(Client(), other_agent).get(_person_url(person)).status_code == 404


def test_registering_is_rate_limited(web, settings):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "agent_booking": {"account": (0, 60), "ip": (100, 60)},
    }
    assert web.post(reverse("agent:register"), WALK_IN).status_code == 429
    assert not Applicant.objects.exists()


# --- Booking, cancelling, moving ---------------------------------------------------------


def _day(slot) -> str:
    return timezone.localdate(slot.starts_at).isoformat()


def test_an_agent_books_a_priority_time_for_a_walk_in_cancels_and_moves(web, agent, slots):
    web.post(reverse("agent:register"), WALK_IN)
    person = Applicant.objects.get()
    procedure = slots["priority"].procedure
    site = slots["priority"].site

    sites = web.get(reverse("agent:book_sites", args=[person.pk, procedure.slug]))
    assert [each["site__slug"] for each in sites.context["sites"]] == [site.slug]
    days = web.get(
        reverse("agent:book_days", args=[person.pk, procedure.slug, site.slug]),
        {"date": _day(slots["priority"])},
    )
    assert [group["pool"] for group in days.context["groups"]] == [Pool.PRIORITY, Pool.PUBLIC]
    confirm_url = reverse("agent:book_confirm", args=[person.pk, slots["priority"].pk])
    assert web.get(confirm_url).status_code == 200
    assert web.post(confirm_url)["Location"] == _person_url(person)

    appointment = Appointment.objects.get(applicant=person)
    assert appointment.slot_id == slots["priority"].pk
    assert appointment.channel == Channel.AGENT
    assert appointment.booked_by_id == agent.pk
    assert appointment.document_number == person.document_number  # the identity copied

    # A second one for the same procedure: refused, nothing booked.
    refused = web.post(reverse("agent:book_confirm", args=[person.pk, slots["public"].pk]))
    assert refused.status_code == 302
    assert Appointment.objects.filter(applicant=person).count() == 1

    move_url = reverse(
        "agent:appointment_reschedule_confirm",
        args=[person.pk, appointment.reference, slots["public"].pk],
    )
    assert web.get(move_url).status_code == 200
    assert web.post(move_url)["Location"] == _person_url(person)
    appointment.refresh_from_db()
    assert appointment.slot_id == slots["public"].pk

    cancel_url = reverse("agent:appointment_cancel", args=[person.pk, appointment.reference])
    assert web.get(cancel_url).status_code == 200
    assert web.post(cancel_url)["Location"] == _person_url(person)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    slots["public"].refresh_from_db()
    slots["priority"].refresh_from_db()
    assert slots["public"].booked == slots["priority"].booked == 0
    actions = list(
        AuditEvent.objects.filter(appointment_reference=appointment.reference)
        .order_by("pk")
        .values_list("action", "actor_id")
    )
    assert actions == [
        (AuditAction.APPOINTMENT_BOOKED, agent.pk),
        (AuditAction.APPOINTMENT_RESCHEDULED, agent.pk),
        (AuditAction.APPOINTMENT_CANCELLED, agent.pk),
    ]


def test_an_agent_cannot_book_nor_move_to_another_site(web, here, slots):
    assert (
        web.get(
            reverse(
                "agent:book_days",
                args=[here.pk, slots["other"].procedure.slug, slots["other"].site.slug],
            )
        ).status_code
        == 404
    )
    assert (
        web.post(reverse("agent:book_confirm", args=[here.pk, slots["other"].pk])).status_code
        == 404
    )
    appointment = here.appointments.get()
    move = reverse(
        "agent:appointment_reschedule_confirm",
        args=[here.pk, appointment.reference, slots["other"].pk],
    )
    assert web.post(move).status_code == 404
    # The reschedule page does not offer the other site, even when asked for it.
    page = web.get(
        reverse("agent:appointment_reschedule", args=[here.pk, appointment.reference]),
        {"site": slots["other"].site.slug},
    )
    assert page.context["site"].pk == slots["public"].site_id
    assert [each["site__slug"] for each in page.context["sites"]] == [slots["public"].site.slug]
    appointment.refresh_from_db()
    assert appointment.slot_id == slots["public"].pk


def test_bookings_are_rate_limited(web, here, settings, slots):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "agent_booking": {"account": (0, 60), "ip": (100, 60)},
    }
    appointment = here.appointments.get()
    for url in (
        reverse("agent:book_confirm", args=[here.pk, slots["priority"].pk]),
        reverse("agent:appointment_cancel", args=[here.pk, appointment.reference]),
    ):
        assert web.post(url).status_code == 429
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_a_supervisor_finds_a_walk_in_by_surname_without_its_accents(supervisor):
    client = login(Client(), supervisor)
    client.post(reverse("agent:register"), WALK_IN)
    person = Applicant.objects.get()
    response = _search(client, "name", surname="TRAORE", birth_date="1990-05-17")
    assert response["Location"] == _person_url(person)
