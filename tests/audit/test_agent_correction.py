"""An agent corrects a person's identity with a reason; the correction is
audited (who, reason, fields before and after) and the appointments keep the
identity they were booked with."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts import errors
from audit.models import AuditAction, AuditEvent
from booking import errors as booking_errors
from booking.models import Appointment
from booking.services import applicant_identity_correct
from tests import factories
from tests.auth import login
from tests.helpers.audit import CLIENT_IP, book
from tests.helpers.pages import without_tokens

pytestmark = pytest.mark.django_db


def _corrections() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.IDENTITY_CORRECTED))


@pytest.fixture
def appointment(applicant, slot):
    return book(applicant, slot)


def test_agent_of_the_site_corrects_a_locked_identity_and_it_is_audited(
    agent, applicant, appointment
):
    corrected = applicant_identity_correct(
        actor=agent,
        applicant=applicant,
        reason="  Given names swapped on the form;  checked on the residence permit. ",
        identity=factories.identity_of(
            applicant, given_names="Aminata Fatou", birth_date=date(1990, 7, 5)
        ),
    )
    assert (corrected.given_names, corrected.birth_date) == ("Aminata Fatou", date(1990, 7, 5))
    [row] = _corrections()
    assert (row.actor_id, row.actor_label, row.actor_role) == (agent.pk, agent.email, "agent")
    assert (row.applicant_id, row.subject_user_id) == (applicant.pk, applicant.user_id)
    assert row.details == {
        "by": "staff",
        "reason": "Given names swapped on the form; checked on the residence permit.",
        "before": {"given_names": "Aminata", "birth_date": "1990-05-17"},
        "after": {"given_names": "Aminata Fatou", "birth_date": "1990-07-05"},
    }
    # The appointment keeps the identity it was booked with.
    booked = Appointment.objects.get(pk=appointment.pk)
    assert (booked.given_names, booked.birth_date) == ("Aminata", date(1990, 5, 17))


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_reason_is_required(agent, applicant, appointment, reason):
    with pytest.raises(errors.CorrectionReasonRequired):
        applicant_identity_correct(
            actor=agent,
            applicant=applicant,
            reason=reason,
            identity=factories.identity_of(applicant, surname="X"),
        )
    applicant.refresh_from_db()
    assert applicant.surname != "X"
    assert _corrections() == []


def test_an_agent_of_another_site_is_refused(other_agent, applicant, appointment):
    with pytest.raises(booking_errors.NotAllowed):
        applicant_identity_correct(
            actor=other_agent,
            applicant=applicant,
            reason="typo",
            identity=factories.identity_of(applicant, surname="Other"),
        )
    assert _corrections() == []


def test_an_agent_cannot_correct_someone_without_an_appointment_at_their_sites(agent, applicant):
    with pytest.raises(booking_errors.NotAllowed):
        applicant_identity_correct(
            actor=agent,
            applicant=applicant,
            reason="typo",
            identity=factories.identity_of(applicant, surname="O"),
        )


@pytest.mark.parametrize("persona", ["mediator", "applicant_user"])
def test_mediators_and_applicants_are_refused(request, persona, applicant, appointment):
    actor = request.getfixturevalue(persona)
    with pytest.raises(booking_errors.NotAllowed):
        applicant_identity_correct(
            actor=actor,
            applicant=applicant,
            reason="typo",
            identity=factories.identity_of(applicant, surname="O"),
        )


def test_a_supervisor_may_correct_anyone(supervisor, applicant):
    applicant_identity_correct(
        actor=supervisor,
        applicant=applicant,
        reason="Court order",
        identity=factories.identity_of(applicant, surname="Traoré"),
    )
    [row] = _corrections()
    assert row.actor_role == "supervisor"
    assert row.details["after"] == {"surname": "Traoré"}


def test_someone_elses_document_is_refused_and_nothing_is_written(
    agent, applicant, appointment, other_applicant
):
    with pytest.raises(booking_errors.IdentityTaken):
        applicant_identity_correct(
            actor=agent,
            applicant=applicant,
            reason="typo",
            identity=factories.identity_of(
                applicant, document_number=other_applicant.document_number
            ),
        )
    assert _corrections() == []


def test_an_invalid_identity_is_refused(agent, applicant, appointment):
    with pytest.raises(booking_errors.InvalidIdentity):
        applicant_identity_correct(
            actor=agent,
            applicant=applicant,
            reason="typo",
            identity=factories.identity_of(applicant, document_number="123"),
        )


def test_nothing_to_correct_is_said_and_not_recorded(agent, applicant, appointment):
    with pytest.raises(errors.IdentityUnchanged):
        applicant_identity_correct(
            actor=agent,
            applicant=applicant,
            reason="typo",
            identity=factories.identity_of(
                applicant,
                document_number=f" {applicant.document_number[:2]}-{applicant.document_number[2:]}",
            ),
        )
    assert _corrections() == []


# --- The page ---------------------------------------------------------------------------


def _url(applicant) -> str:
    return reverse("agent:identity_correct", args=[applicant.pk])


def _post_data(applicant, *, reason: str, **changes) -> dict:
    return {**factories.identity_of(applicant, **changes).as_json(), "reason": reason}


def test_the_page_shows_the_identity_and_the_booked_one(web, agent, applicant, appointment):
    login(web, agent)
    response = web.get(_url(applicant))
    assert response.status_code == 200
    html = response.content.decode()
    assert applicant.surname.upper() in html
    assert appointment.reference in html
    assert 'name="reason"' in html
    assert "keeps the identity it was booked with" in html


def test_the_page_corrects_with_a_reason_and_records_the_address(
    web, agent, applicant, appointment
):
    login(web, agent)
    response = web.post(
        _url(applicant), _post_data(applicant, surname="Sow", reason="Misspelt at booking")
    )
    assert response.status_code == 302
    assert response["Location"] == _url(applicant)
    [row] = _corrections()
    assert (row.actor_id, row.ip) == (agent.pk, CLIENT_IP)
    assert row.details["reason"] == "Misspelt at booking"
    applicant.refresh_from_db()
    assert applicant.surname == "Sow"


def test_the_page_asks_for_the_reason(web, agent, applicant, appointment):
    login(web, agent)
    response = web.post(_url(applicant), _post_data(applicant, surname="Sow", reason=""))
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert _corrections() == []


def test_the_page_shows_a_refusal_on_the_form(web, agent, applicant, appointment, other_applicant):
    login(web, agent)
    response = web.post(
        _url(applicant),
        _post_data(applicant, document_number=other_applicant.document_number, reason="typo"),
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert _corrections() == []


def test_an_agent_of_another_site_is_answered_as_if_the_person_did_not_exist(
    web, other_agent, applicant, appointment
):
    login(web, other_agent)
    unknown = web.get(reverse("agent:identity_correct", args=[999999]))
    response = web.get(_url(applicant))
    assert response.status_code == 404
    assert without_tokens(response) == without_tokens(unknown)
    response = web.post(_url(applicant), _post_data(applicant, surname="Sow", reason="typo"))
    assert response.status_code == 404
    assert _corrections() == []


def test_an_unknown_person_is_404(web, agent):
    login(web, agent)
    assert web.get(reverse("agent:identity_correct", args=[999999])).status_code == 404


@pytest.mark.parametrize("persona", ["mediator", "applicant_user", "other_applicant"])
def test_non_agents_get_403(request, web, persona, applicant, appointment):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    login(web, user)
    assert web.get(_url(applicant)).status_code == 403
    response = web.post(_url(applicant), _post_data(applicant, surname="Sow", reason="typo"))
    assert response.status_code == 403
    assert _corrections() == []


def test_anonymous_is_sent_to_log_in(web, applicant):
    response = web.get(_url(applicant))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_supervisor_reaches_the_page(web, supervisor, applicant):
    login(web, supervisor)
    assert web.get(_url(applicant)).status_code == 200


def test_staff_without_a_second_factor_do_not_reach_it(client, agent, applicant, appointment):
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(_url(applicant))
    assert response.status_code == 302
    assert "otp" in response["Location"]


def test_a_corrected_document_number_does_not_open_a_second_booking(agent, applicant, slot):
    """The appointment keeps the identity key it was booked under; the record's
    new key must not let the same person hold a second active appointment."""
    from booking.services import appointment_book

    book(applicant, slot)
    corrected = applicant_identity_correct(
        actor=agent,
        applicant=applicant,
        reason="Document number mistyped at the counter.",
        identity=factories.identity_of(applicant, document_number="9876543210"),
    )
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with pytest.raises(booking_errors.AlreadyBooked):
        appointment_book(actor=corrected.user, applicant=corrected, slot_id=other_slot.pk)

    assert Appointment.objects.filter(applicant=applicant).count() == 1
    other_slot.refresh_from_db()
    assert other_slot.booked == 0
