"""The record of attempts lists exactly what happened, week by week; an issued
record's code verifies and a changed one does not."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime

from attempts import codes
from attempts.models import AttemptRecord, IssuedBy
from attempts.selectors import record_content, record_weeks
from attempts.services import RECORD_ISSUED, failed_search_record, record_issue
from audit.models import AuditEvent
from notifications.models import MessageChannel, MessageStatus
from tests import factories
from tests.helpers.notification_factories import sent_sms

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # a Friday


def _at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(applicant, site):
    """Three weeks of attempts by ``applicant``, and what must not be listed."""
    procedure = factories.ProcedureFactory(name="Titre de séjour : renouvellement")
    user = applicant.user
    for when, sites in [
        (_at(2, 9, 0), ()),
        (_at(2, 9, 5), ()),  # the same hour: counted on the same row
        (_at(4, 14), (site.slug,)),
        (_at(12, 8), ()),
        (_at(19, 17), (site.slug,)),
    ]:
        failed_search_record(user=user, procedure=procedure.slug, sites=sites, now=when)
    # Not listed: past the retention, someone else's, after the record.
    failed_search_record(user=user, procedure=procedure.slug, sites=(), now=_at(1, month=4))
    other = factories.ApplicantFactory()
    failed_search_record(user=other.user, procedure=procedure.slug, sites=(), now=_at(3))
    alert = factories.AlertSubscriptionFactory(
        applicant=applicant, procedure=procedure, created_at=_at(3, 10)
    )
    alert.sites.set([site])
    sent_sms(applicant=applicant, template_key="new_slots", sent_at=_at(12, 7))
    # Not listed: another kind of message, an alert still on its way.
    sent_sms(applicant=applicant, template_key="appointment_booked", sent_at=_at(12, 7))
    sent_sms(
        applicant=applicant,
        template_key="new_slots",
        status=MessageStatus.PENDING,
        sent_at=None,
    )
    return procedure


def _instants(rows, *keys):
    return [tuple(parse_datetime(row[k]) if row[k] else None for k in keys) for row in rows]


def test_record_lists_exactly_what_happened(applicant, site, history):
    content = record_content(applicant=applicant, now=NOW)

    assert [
        (row["procedure"], row["site"], row["count"], row["mediated"])
        for row in content["searches"]
    ] == [
        (history.name, None, 2, False),
        (history.name, site.name, 1, False),
        (history.name, None, 1, False),
        (history.name, site.name, 1, False),
    ]
    assert _instants(content["searches"], "at", "until") == [
        (_at(2, 9, 0), _at(2, 9, 5)),
        (_at(4, 14), _at(4, 14)),
        (_at(12, 8), _at(12, 8)),
        (_at(19, 17), _at(19, 17)),
    ]
    assert [(row["procedure"], row["sites"]) for row in content["alerts_subscribed"]] == [
        (history.name, [site.name])
    ]
    assert _instants(content["alerts_received"], "at") == [(_at(12, 7),)]
    assert content["alerts_received"][0]["channel"] == str(MessageChannel.SMS.label)
    assert content["substitution"] == [] and content["waiting_list"] == []
    assert content["summary"] == {
        "searches": 5,
        "weeks_with_searches": 3,
        "first_search": content["searches"][0]["at"],
        "last_search": content["searches"][-1]["until"],
        "alerts_received": 1,
        "substitution_requests": 0,
    }
    assert content["person"] == {
        "surname": applicant.surname,
        "given_names": applicant.given_names,
        "birth_date": applicant.birth_date.isoformat(),
    }


def test_record_groups_by_week_monday_to_sunday(applicant, history):
    weeks = record_weeks(record_content(applicant=applicant, now=NOW))

    assert [week.monday for week in weeks] == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]
    assert [week.search_count for week in weeks] == [3, 1, 1]
    assert [len(week.alerts_subscribed) for week in weeks] == [1, 0, 0]
    assert [len(week.alerts_received) for week in weeks] == [0, 1, 0]


def test_record_page_shows_the_weeks(logged_in, applicant, history):
    page = logged_in.get(reverse("attempts:record"))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Week of 2 November 2026 to 8 November 2026" in text
    assert "Week of 16 November 2026 to 22 November 2026" in text
    assert "found no free time" in text
    assert reverse("attempts:record_pdf") in text
    assert AttemptRecord.objects.count() == 0  # looking issues nothing


def test_record_page_without_identity_says_so(web):
    web.force_login(factories.UserFactory())

    page = web.get(reverse("attempts:record"))

    assert page.status_code == 200
    assert reverse("booking:identity") in page.content.decode()


def test_my_account_links_to_the_record(logged_in):
    page = logged_in.get(reverse("accounts:me"))

    assert reverse("attempts:record") in page.content.decode()


# --- Issued records and their codes --------------------------------------------------------


def test_issued_record_keeps_its_content_and_only_a_hash_of_its_code(applicant, history):
    issued = record_issue(actor=applicant.user, applicant=applicant, now=NOW)

    record = AttemptRecord.objects.get()
    raw = issued.code.replace("-", "")
    assert len(raw) == 24 and set(raw) <= set(codes.ALPHABET)
    assert record.code_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert record.content == record_content(applicant=applicant, now=NOW)
    assert record.issued_as == IssuedBy.PERSON and record.issued_by == applicant.user
    assert record.period_end == NOW
    event = AuditEvent.objects.get(action=RECORD_ISSUED)
    assert event.applicant_id == applicant.pk and event.details["record"] == record.pk
    stored = str(list(AttemptRecord.objects.values())) + str(event.details)
    assert raw not in stored and issued.code not in stored


def test_codes_are_new_each_time():
    assert len({codes.code_new() for _ in range(200)}) == 200


def test_a_mediators_record_names_the_point(mediator):
    walk_in = factories.ApplicantFactory(user=None, access_point=mediator.access_point)

    issued = record_issue(actor=mediator, applicant=walk_in, now=NOW)

    assert issued.record.issued_as == IssuedBy.MEDIATOR
    assert issued.record.access_point_id == mediator.access_point_id
    event = AuditEvent.objects.get(action=RECORD_ISSUED)
    assert event.details["access_point"] == mediator.access_point_id


def test_code_verifies_and_shows_what_the_record_said(web, applicant, history):
    issued = record_issue(actor=applicant.user, applicant=applicant, now=NOW)
    # Later attempts change nothing of what was issued.
    failed_search_record(user=applicant.user, procedure=history.slug, sites=(), now=NOW)

    page = web.get(reverse("attempts:verify", args=[issued.code]))

    text = page.content.decode()
    assert page.status_code == 200
    assert applicant.surname.upper() in text
    assert "issued by Guichet on 20 November 2026 at 12:00" in text  # Paris time
    assert "5 searches, over 3 week(s)" in text
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "no-referrer"


def test_code_as_read_aloud_verifies(web, applicant):
    issued = record_issue(actor=applicant.user, applicant=applicant, now=NOW)
    typed = " ".join(issued.code.split("-")).lower()

    assert web.get(reverse("attempts:verify", args=[typed])).status_code == 200


def _changed(code: str) -> str:
    first = code[0]
    return ("1" if first != "1" else "2") + code[1:]


@pytest.mark.parametrize(
    "tamper",
    [
        _changed,
        lambda code: code[:-1] + ("0" if code[-1] != "0" else "1"),
        lambda code: code[:-5],  # a group short
        lambda code: code + "-AAAA",
        lambda code: "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01",  # invented
        lambda code: "not a code",
        lambda code: "U" * 24,  # not in the alphabet
        lambda code: "%00",
        lambda code: "é" * 24,
        lambda code: "A" * 500,
    ],
)
def test_a_changed_invented_or_malformed_code_is_no_such_record(web, applicant, tamper):
    issued = record_issue(actor=applicant.user, applicant=applicant, now=NOW)

    page = web.get(reverse("attempts:verify", args=[tamper(issued.code)]))

    text = page.content.decode()
    assert page.status_code == 404
    assert "No such record" in text
    assert applicant.surname.upper() not in text


def test_verify_form_sends_a_typed_code_to_its_page(web, applicant):
    issued = record_issue(actor=applicant.user, applicant=applicant, now=NOW)

    sent = web.get(reverse("attempts:verify_form"), {"code": issued.code.lower()})
    malformed = web.get(reverse("attempts:verify_form"), {"code": "ABC"})

    assert sent.status_code == 302
    assert sent.url == reverse("attempts:verify", args=[issued.code])
    assert malformed.status_code == 200
    assert "24 letters and digits" in malformed.content.decode()


def test_verify_is_rate_limited_per_address(web, applicant):
    issued = record_issue(actor=applicant.user, applicant=applicant, now=NOW)
    url = reverse("attempts:verify", args=[issued.code])

    with override_settings(RATELIMITS={"attempts_verify": {"ip": (2, 600)}}):
        answers = [web.get(url).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


# --- Who may see a person's record ---------------------------------------------------------


@pytest.fixture
def people(persona_world):
    return persona_world


@pytest.mark.parametrize(
    ("persona", "person", "status"),
    [
        ("mediator", "walk_in", 200),
        ("mediator", "helped", 200),  # booked for by the point
        ("other_mediator", "walk_in", 404),
        ("agent", "walk_in", 200),  # booked at the agent's site
        ("other_agent", "walk_in", 404),
        ("supervisor", "walk_in", 200),
        ("applicant", "applicant", 404),  # their own is at /attempts/record/
        ("applicant", "walk_in", 404),
        ("other_mediator", "applicant", 404),
    ],
)
def test_record_for_a_person_only_for_staff_who_may_act_for_them(
    client, people, persona, person, status
):
    from tests.auth import login

    login(client, people.users[persona])
    url = reverse("attempts:record_for_person_page", args=[people.people[person].pk])

    assert client.get(url).status_code == status


def test_record_for_someone_who_does_not_exist_is_a_404(client, people):
    from tests.auth import login

    login(client, people.users["supervisor"])

    assert client.get(reverse("attempts:record_for_person_page", args=[10**9])).status_code == 404


# --- Substitution requests ---------------------------------------------------------------


def test_record_lists_the_persons_substitution_requests_and_their_answers(
    applicant, site, supervisor
):
    from substitution import services as substitution

    procedure = factories.ProcedureFactory(name="Duplicata")
    mine = substitution.substitution_request_create(
        identity=factories.identity_of(applicant),
        procedure=procedure,
        site=site,
        reason="nothing_free",
        email="me@example.test",
        now=_at(5, 10),
    )
    substitution.substitution_request_take(actor=supervisor, request=mine, now=_at(9))
    substitution.substitution_request_answer(
        actor=supervisor,
        request=mine,
        outcome="refused",
        answer="Pas de créneau prioritaire.",
        now=_at(10),
    )
    substitution.substitution_request_create(  # someone else's
        identity=factories.identity(document_number="9399999999"),
        procedure=procedure,
        site=site,
        reason="nothing_free",
        email="other@example.test",
        now=_at(6),
    )

    with translation.override("en"):  # the labels are frozen in the issuer's language
        content = record_content(applicant=applicant, now=NOW)

    assert [
        (row["tracking"], row["procedure"], row["site"], row["status"], row["answer"])
        for row in content["substitution"]
    ] == [
        (mine.tracking, "Duplicata", site.name, "Answered: Refused", "Pas de créneau prioritaire.")
    ]
    assert _instants(content["substitution"], "at", "answered_at") == [(_at(5, 10), _at(10))]
    assert content["summary"]["substitution_requests"] == 1
    weeks = record_weeks(content)
    assert [(week.monday, len(week.substitution)) for week in weeks] == [(date(2026, 11, 2), 1)]
