"""Supervisors search the audit trail: filters, pages of 50, newest first, a
bounded number of queries; bad input is a message on the form; nobody else
gets in. The CSV export holds the same rows and is itself audited."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from tests import factories
from tests.auth import login
from tests.helpers.audit import CLIENT_IP, book

pytestmark = pytest.mark.django_db

URL = reverse("audit:search")
EXPORT = reverse("audit:export")


def _at(event: AuditEvent, moment: datetime) -> AuditEvent:
    """Backdate a row. The trail refuses UPDATE, so the row is inserted anew."""
    values = {
        field.attname: getattr(event, field.attname)
        for field in AuditEvent._meta.concrete_fields
        if field.attname != "id"
    }
    values["occurred_at"] = moment
    return AuditEvent.objects.create(**values)


@pytest.fixture
def supervising(web, supervisor):
    return login(web, supervisor)


@pytest.fixture
def trail(agent, applicant, other_applicant, slot):
    """Rows by several people, about two applicants, one on an appointment."""
    appointment = book(applicant, slot)
    rows = {
        "agent_correction": audit_record(
            actor=agent,
            action=AuditAction.IDENTITY_CORRECTED,
            applicant=applicant,
            details={"reason": "typo"},
        ),
        "claim": audit_record(
            actor=other_applicant.user,
            action=AuditAction.IDENTITY_CLAIM_REFUSED,
            applicant=applicant,
        ),
        "on_appointment": audit_record(
            actor=agent, action=AuditAction.APPOINTMENT_CANCELLED, appointment=appointment
        ),
        "other": audit_record(
            actor=other_applicant.user,
            action=AuditAction.ACCOUNT_CREATED,
            subject_user=other_applicant.user,
        ),
        "system": audit_record(actor=None, action=AuditAction.ACCOUNT_DELETED),
    }
    return rows, appointment


def _found(response) -> list[int]:
    assert response.status_code == 200
    assert response.context["form"].is_valid(), response.context["form"].errors
    return [event.pk for event in response.context["page"].object_list]


def _mine(response, trail) -> set[str]:
    rows, _appointment = trail
    found = set(_found(response))
    return {name for name, row in rows.items() if row.pk in found}


def test_supervisor_sees_the_trail_newest_first(supervising, trail):
    response = supervising.get(URL)
    ids = _found(response)
    assert ids == sorted(ids, reverse=True)
    assert _mine(response, trail) == set(trail[0])
    html = response.content.decode()
    assert trail[0]["agent_correction"].actor_label in html
    assert "Identity corrected" in html
    assert "The system" in html


def test_filter_by_actor_email_case_insensitive(supervising, trail, agent):
    response = supervising.get(URL, {"actor": agent.email.upper()})
    assert _mine(response, trail) == {"agent_correction", "on_appointment"}


def test_filter_by_action(supervising, trail):
    response = supervising.get(URL, {"action": AuditAction.IDENTITY_CLAIM_REFUSED})
    assert _mine(response, trail) == {"claim"}


def test_filter_by_appointment_reference(supervising, trail):
    _rows, appointment = trail
    response = supervising.get(URL, {"reference": appointment.reference.lower()})
    found = _mine(response, trail)
    assert found == {"on_appointment"}
    assert all(e.appointment_reference == appointment.reference for e in response.context["page"])


@pytest.mark.parametrize("how", ["id", "document", "surname"])
def test_filter_by_applicant(supervising, trail, applicant, how):
    value = {
        "id": str(applicant.pk),
        "document": f"{applicant.document_number[:2]} {applicant.document_number[2:]}",
        "surname": applicant.surname.lower(),
    }[how]
    response = supervising.get(URL, {"applicant": value})
    assert {"agent_correction", "claim", "on_appointment"} <= _mine(response, trail)
    assert "other" not in _mine(response, trail)
    assert all(event.applicant_id == applicant.pk for event in response.context["page"])


def test_filter_by_date_range(supervising, trail):
    rows, _appointment = trail
    now = timezone.localtime()
    old = _at(rows["other"], now - timedelta(days=40))
    older = _at(rows["other"], now - timedelta(days=400))
    day = (now - timedelta(days=40)).date()
    response = supervising.get(URL, {"date_from": day.isoformat(), "date_to": day.isoformat()})
    assert _found(response) == [old.pk]
    response = supervising.get(URL, {"date_to": (now - timedelta(days=2)).date().isoformat()})
    assert _found(response) == [old.pk, older.pk]
    response = supervising.get(URL, {"date_from": now.date().strftime("%d/%m/%Y")})
    assert old.pk not in _found(response)
    assert rows["system"].pk in _found(response)


def test_filters_combine(supervising, trail, agent, applicant):
    response = supervising.get(
        URL, {"actor": agent.email, "applicant": str(applicant.pk), "action": "identity.corrected"}
    )
    assert _mine(response, trail) == {"agent_correction"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2026-11-20", "date_to": "2026-11-01"}, "date_to"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"reference": "ABC"}, "reference"),
        ({"reference": "ABCDEFG1"}, "reference"),
        ({"actor": "not an address"}, "actor"),
        ({"action": "nothing.real"}, "action"),
        ({"applicant": "---"}, "applicant"),
        ({"applicant": "x" * 300}, "applicant"),
    ],
)
def test_bad_filters_are_form_errors_not_500(supervising, trail, params, field):
    response = supervising.get(URL, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["page"] is None
    assert "fr-error-text" in response.content.decode() or "fr-message--error" in (
        response.content.decode()
    )


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999", "1.5", "9" * 40])
def test_bad_page_numbers_fall_back_to_a_page(supervising, trail, page):
    response = supervising.get(URL, {"page": page})
    assert response.status_code == 200


def test_huge_applicant_number_is_read_as_a_document_number(supervising, trail):
    response = supervising.get(URL, {"applicant": "9" * 30})
    assert _found(response) == []


def test_pages_of_fifty_with_filters_kept_in_the_links(supervising, agent):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.TOKEN_CREATED,
            actor_id=agent.pk,
            actor_label=agent.email,
            actor_role="agent",
        )
        for _ in range(120)
    )
    first = supervising.get(URL, {"action": "token.created"})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 120
    html = first.content.decode()
    assert "action=token.created&amp;page=2" in html
    third = supervising.get(URL, {"action": "token.created", "page": 3})
    assert len(third.context["page"].object_list) == 20


def test_query_count_is_bounded_however_many_rows(
    supervising, agent, applicant, django_assert_max_num_queries
):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.IDENTITY_CORRECTED,
            actor_id=agent.pk,
            actor_label=agent.email,
            actor_role="agent",
            applicant_id=factories.ApplicantFactory().pk if i % 10 == 0 else applicant.pk,
            details={"before": {"surname": "A"}, "after": {"surname": "B"}},
        )
        for i in range(80)
    )
    with django_assert_max_num_queries(8):
        response = supervising.get(URL)
    assert len(response.context["page"].object_list) == 50
    with django_assert_max_num_queries(8):
        response = supervising.get(URL, {"applicant": applicant.surname, "actor": agent.email})
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["agent", "mediator", "applicant_user"])
def test_others_get_403(request, web, persona):
    login(web, request.getfixturevalue(persona))
    assert web.get(URL).status_code == 403
    assert web.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


def test_anonymous_is_sent_to_log_in(web):
    for url in (URL, EXPORT):
        response = web.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_export_is_the_filtered_rows_as_csv_and_is_audited(supervising, supervisor, trail, agent):
    response = supervising.get(EXPORT, {"actor": agent.email})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][0] == "occurred_at"
    assert {line[1] for line in lines[1:]} == {"identity.corrected", "appointment.cancelled"}
    exported = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert (exported.actor_id, exported.ip) == (supervisor.pk, CLIENT_IP)
    assert exported.details == {"filters": {"actor": agent.email}}


def test_export_neutralises_spreadsheet_formulas(supervising):
    AuditEvent.objects.create(action=AuditAction.ACCOUNT_CREATED, actor_label="=HYPERLINK(1)")
    response = supervising.get(EXPORT)
    text = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_export_with_bad_filters_shows_the_form(supervising, trail):
    response = supervising.get(EXPORT, {"date_from": "nope"})
    assert response.status_code == 400
    assert "date_from" in response.context["form"].errors
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


def test_rows_link_to_the_person_and_survive_their_erasure(supervising, trail, applicant):
    gone = factories.ApplicantFactory()
    row = audit_record(actor=None, action=AuditAction.IDENTITY_ERASED, applicant=gone)
    gone_pk = gone.pk
    gone.delete()
    response = supervising.get(URL)
    assert row.pk in _found(response)
    html = response.content.decode()
    assert reverse("agent:identity_correct", args=[applicant.pk]) in html
    assert f"n° {gone_pk}" in html
    assert reverse("agent:identity_correct", args=[gone_pk]) not in html
