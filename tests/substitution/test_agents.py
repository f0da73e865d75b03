"""The agents' queue: who sees which request, deadlines, overdue first, taking a
request in hand, answering it (booked on priority capacity, refused, referred),
the person told, the letter, and the retention purge."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditAction, AuditEvent
from booking.models import Applicant, Appointment, Channel
from notifications.models import Message
from substitution import services
from substitution.errors import AlreadyAnswered, RequestNotFound
from substitution.letter import letter_pdf
from substitution.models import Outcome, State, SubstitutionRequest
from substitution.selectors import requests_of
from tests import factories
from tests.auth import login
from tests.substitution.conftest import file_request, identity

pytestmark = pytest.mark.django_db


def _page(client, name, *args, **kwargs):
    return client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="en", **kwargs)


def test_a_request_appears_in_the_queue_of_its_site_with_its_deadline(client, agent, filed):
    login(client, agent)

    page = _page(client, "substitution_agent:queue").content.decode()

    assert filed.tracking in page
    assert timezone.localtime(filed.due_at).strftime("%-d") in page
    assert "New" in page


def test_an_agent_of_another_site_neither_lists_nor_opens_it(client, other_agent, filed):
    login(client, other_agent)

    listed = _page(client, "substitution_agent:queue")
    opened = _page(client, "substitution_agent:detail", filed.pk)
    taken = client.post(reverse("substitution_agent:take", args=[filed.pk]))

    assert filed.tracking not in listed.content.decode()
    assert opened.status_code == 404
    assert taken.status_code == 404
    assert SubstitutionRequest.objects.get().state == State.NEW


def test_a_request_wishing_no_site_is_seen_by_every_agent(client, other_agent, procedure):
    anywhere = file_request(procedure, None)
    login(client, other_agent)

    assert _page(client, "substitution_agent:detail", anywhere.pk).status_code == 200


def test_applicants_and_mediators_have_no_queue(client, applicant, mediator):
    for user in (applicant.user, mediator):
        login(client, user)
        assert _page(client, "substitution_agent:queue").status_code == 403


def test_overdue_requests_come_first(client, supervisor, procedure, site):
    recent = file_request(procedure, site)
    overdue = file_request(procedure, site, identity=identity(document_number="9300000001"))
    SubstitutionRequest.objects.filter(pk=overdue.pk).update(
        created_at=timezone.now() - timedelta(days=20), due_at=timezone.now() - timedelta(days=5)
    )
    login(client, supervisor)

    page = _page(client, "substitution_agent:queue").content.decode()

    assert page.index(overdue.tracking) < page.index(recent.tracking)
    assert "Overdue" in page


def test_the_queue_filters_by_state(client, agent, filed, procedure, site):
    other = file_request(procedure, site, identity=identity(document_number="9300000002"))
    services.substitution_request_answer(
        actor=agent, request=other, outcome=Outcome.REFUSED, answer="Not our département."
    )
    login(client, agent)

    open_page = _page(client, "substitution_agent:queue").content.decode()
    answered = client.get(
        reverse("substitution_agent:queue"), {"state": "answered"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert filed.tracking in open_page and other.tracking not in open_page
    assert other.tracking in answered and filed.tracking not in answered


def test_taking_a_request_in_hand(client, agent, filed):
    login(client, agent)

    response = client.post(reverse("substitution_agent:take", args=[filed.pk]))

    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.state == State.IN_PROGRESS and filed.handled_by == agent
    event = AuditEvent.objects.get(action=AuditAction.SUBSTITUTION_TAKEN)
    assert event.details["request"] == filed.pk and event.actor_id == agent.pk


def test_booking_on_priority_capacity_registers_the_walk_in_and_tells_the_person(
    client, agent, filed, priority_slot
):
    public = factories.SlotFactory(site=priority_slot.site, procedure=priority_slot.procedure)
    login(client, agent)
    page = _page(client, "substitution_agent:detail", filed.pk).content.decode()
    assert page.index(f'value="{priority_slot.pk}"') < page.index(f'value="{public.pk}"')

    response = client.post(
        reverse("substitution_agent:book", args=[filed.pk]), {"slot": priority_slot.pk}
    )

    assert response.status_code == 302
    filed.refresh_from_db()
    appointment = Appointment.objects.get()
    assert filed.state == State.ANSWERED and filed.outcome == Outcome.BOOKED
    assert filed.appointment == appointment and appointment.slot == priority_slot
    assert appointment.channel == Channel.AGENT and appointment.booked_by == agent
    walk_in = Applicant.objects.get()
    assert walk_in.user is None and walk_in.identity_key == filed.identity_key
    assert walk_in.phone == filed.phone and walk_in.email == filed.email
    answers = Message.objects.filter(template_key="substitution_answered")
    assert {m.channel for m in answers} == {"sms", "email"}
    assert all(appointment.reference in m.text for m in answers)
    event = AuditEvent.objects.get(action=AuditAction.SUBSTITUTION_ANSWERED)
    assert event.details["request"] == filed.pk and event.appointment_id == appointment.pk


def test_an_identity_on_file_is_used_not_created_twice(agent, procedure, site, priority_slot):
    on_file = factories.ApplicantFactory(document_number="9312345678", nationality="SN")
    filed = file_request(procedure, site)

    services.substitution_request_book(actor=agent, request=filed, slot_id=priority_slot.pk)

    assert Applicant.objects.count() == 1
    assert Appointment.objects.get().applicant == on_file
    assert list(requests_of(applicant=on_file)) == [filed]


def test_a_refused_booking_writes_nothing(agent, filed, priority_slot):
    priority_slot.booked = priority_slot.capacity
    priority_slot.save()

    with pytest.raises(Exception) as refused:
        services.substitution_request_book(actor=agent, request=filed, slot_id=priority_slot.pk)

    assert refused.value.code == "slot_full"
    filed.refresh_from_db()
    assert filed.state == State.NEW
    assert not Applicant.objects.exists() and not Appointment.objects.exists()
    assert not Message.objects.filter(template_key="substitution_answered").exists()


def test_an_agent_cannot_book_at_a_site_not_theirs(agent, procedure, site):
    anywhere = file_request(procedure, None)
    elsewhere = factories.SlotFactory(procedure=procedure, pool="priority")

    with pytest.raises(Exception) as refused:
        services.substitution_request_book(actor=agent, request=anywhere, slot_id=elsewhere.pk)

    assert refused.value.code in ("not_allowed", "slot_not_found")
    assert not Appointment.objects.exists()


def test_a_refusal_with_its_reason_tells_the_person(client, agent, filed):
    login(client, agent)

    response = client.post(
        reverse("substitution_agent:answer", args=[filed.pk]),
        {"outcome": "refused", "answer": "Your permit is handled by the Paris prefecture."},
    )

    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.outcome == Outcome.REFUSED and "Paris prefecture" in filed.answer
    [sms] = Message.objects.filter(template_key="substitution_answered", channel="sms")
    [email] = Message.objects.filter(template_key="substitution_answered", channel="email")
    assert filed.tracking in sms.text
    assert "Paris prefecture" in email.text


def test_an_answer_without_a_reason_is_refused_and_changes_nothing(client, agent, filed):
    login(client, agent)

    response = client.post(
        reverse("substitution_agent:answer", args=[filed.pk]),
        {"outcome": "referred", "answer": "  "},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    filed.refresh_from_db()
    assert filed.state == State.NEW
    assert not Message.objects.filter(template_key="substitution_answered").exists()


def test_an_answered_request_cannot_be_answered_again(agent, filed):
    services.substitution_request_answer(
        actor=agent, request=filed, outcome=Outcome.REFERRED, answer="Ask the OFII."
    )

    with pytest.raises(AlreadyAnswered):
        services.substitution_request_answer(
            actor=agent, request=filed, outcome=Outcome.REFUSED, answer="No."
        )


def test_the_services_refuse_what_the_agent_may_not_see(other_agent, mediator, filed):
    for actor in (other_agent, mediator):
        with pytest.raises(RequestNotFound):
            services.substitution_request_take(actor=actor, request=filed)


def test_the_answer_is_in_the_persons_language(agent, procedure, site):
    filed = file_request(procedure, site, language="en")

    services.substitution_request_answer(
        actor=agent, request=filed, outcome=Outcome.REFERRED, answer="Ask the OFII."
    )

    email = Message.objects.get(template_key="substitution_answered", channel="email")
    assert email.language == "en" and "Answer to your request" in email.subject


def test_the_letter_holds_the_tracking_number_and_its_printing_is_recorded(
    client, agent, procedure, site
):
    filed = file_request(
        procedure, site, phone="", email="", postal_address="12 rue de Paris\n93200 Saint-Denis"
    )
    services.substitution_request_answer(
        actor=agent, request=filed, outcome=Outcome.REFERRED, answer="Ask the OFII."
    )
    login(client, agent)

    response = client.get(reverse("substitution_agent:letter", args=[filed.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert filed.tracking in _pdf_text(response.content)
    assert AuditEvent.objects.filter(action=AuditAction.SUBSTITUTION_LETTER).exists()
    assert not Message.objects.exists()  # a postal address only: the letter is the answer


def test_the_letter_in_arabic_is_built_with_the_appointment(agent, procedure, site, priority_slot):
    filed = file_request(procedure, site, language="ar", phone="", email="", postal_address="Paris")
    services.substitution_request_book(actor=agent, request=filed, slot_id=priority_slot.pk)
    filed.refresh_from_db()

    text = _pdf_text(letter_pdf(filed))

    assert filed.tracking in text and filed.appointment.reference in text


def test_no_letter_before_the_answer(client, agent, filed):
    login(client, agent)

    assert client.get(reverse("substitution_agent:letter", args=[filed.pk])).status_code == 404


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_purge_deletes_requests_answered_past_retention(agent, filed, procedure, site):
    waiting = file_request(procedure, site, identity=identity(document_number="9300000003"))
    services.substitution_request_answer(
        actor=agent, request=filed, outcome=Outcome.REFUSED, answer="No."
    )
    SubstitutionRequest.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(days=400), due_at=timezone.now() - timedelta(days=385)
    )

    assert services.substitution_requests_purge(now=timezone.now() + timedelta(days=200)) == 1

    assert list(SubstitutionRequest.objects.all()) == [waiting]  # unanswered: still owed
    assert AuditEvent.objects.filter(action=AuditAction.SUBSTITUTION_PURGED).exists()
    assert services.substitution_requests_purge(now=timezone.now() + timedelta(days=200)) == 0


def test_requests_of_an_identity_key(filed, procedure):
    other = file_request(procedure, identity=identity(document_number="9300000004"))

    assert list(requests_of(identity_key="agdref:9312345678")) == [filed]
    assert list(requests_of(identity_key=other.identity_key)) == [other]
    assert list(requests_of()) == []
