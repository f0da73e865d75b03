"""The PDF record of attempts: dated, week by week, its code, a QR code of the
verification page; issued for whoever may, rate-limited, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from attempts.models import AttemptRecord, IssuedBy
from attempts.services import RECORD_ISSUED, failed_search_record
from audit.models import AuditEvent
from tests import factories
from tests.auth import login
from tests.helpers.pdf import decoded_qr_codes, text_of

pytestmark = pytest.mark.django_db

PUBLIC = "https://guichet.example.org"


def _searched(applicant, procedure, *days: int) -> None:
    for day in days:
        failed_search_record(
            user=applicant.user,
            procedure=procedure.slug,
            sites=(),
            now=datetime(2026, 11, day, 9, tzinfo=UTC),
        )


@override_settings(PUBLIC_BASE_URL=PUBLIC)
def test_pdf_lists_the_weeks_and_its_qr_code_opens_its_verification(logged_in, web, applicant):
    procedure = factories.ProcedureFactory(name="Renouvellement")
    _searched(applicant, procedure, 3, 11, 18)

    answer = logged_in.get(reverse("attempts:record_pdf"))

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "no-store"
    body = answer.content
    text = text_of(body)
    assert applicant.surname.upper() in text
    for week in ("2 November 2026", "9 November 2026", "16 November 2026"):
        assert f"Week of {week}" in text
    assert "Renouvellement" in text
    issued_on = timezone.localdate().strftime("%-d %B %Y")
    assert f"Issued by Guichet on {timezone.localtime().strftime('%A')} {issued_on}" in text
    urls = decoded_qr_codes(body)
    assert len(urls) == 1 and urls[0].startswith(f"{PUBLIC}/verify/")
    code = urls[0].removeprefix(f"{PUBLIC}/verify/").rstrip("/")
    assert code in text  # printed, for reading aloud
    logged_in.logout()
    verified = web.get(urls[0].removeprefix(PUBLIC))
    assert verified.status_code == 200
    assert "3 searches, over 3 week(s)" in verified.content.decode()


def test_pdf_in_arabic_is_built(applicant):
    from attempts.pdf import record_pdf
    from attempts.selectors import record_content

    procedure = factories.ProcedureFactory()
    _searched(applicant, procedure, 3)
    content = record_content(applicant=applicant, now=datetime(2026, 11, 20, tzinfo=UTC))

    body = record_pdf(
        content=content,
        code="ABCD-EFGH-JKMN-PQRS-TVWX-YZ01",
        verify_url="https://guichet.example.org/verify/ABCD-EFGH-JKMN-PQRS-TVWX-YZ01/",
        issued_at=datetime(2026, 11, 20, tzinfo=UTC),
        language="ar",
    )

    assert body.startswith(b"%PDF")
    assert decoded_qr_codes(body) == [
        "https://guichet.example.org/verify/ABCD-EFGH-JKMN-PQRS-TVWX-YZ01/"
    ]


def test_each_download_issues_an_audited_record(logged_in, applicant):
    logged_in.get(reverse("attempts:record_pdf"))
    logged_in.get(reverse("attempts:record_pdf"))

    records = AttemptRecord.objects.filter(applicant=applicant)
    assert records.count() == 2
    assert len({record.code_hash for record in records}) == 2
    assert AuditEvent.objects.filter(action=RECORD_ISSUED, applicant=applicant).count() == 2


def test_issuing_is_rate_limited_per_account(logged_in, applicant):
    url = reverse("attempts:record_pdf")

    with override_settings(RATELIMITS={"attempts_issue": {"account": (2, 3600)}}):
        answers = [logged_in.get(url).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert AttemptRecord.objects.count() == 2


def test_issuing_is_rate_limited_per_address(client, persona_world):
    world = persona_world
    url = reverse("attempts:record_for_person", args=[world.people["walk_in"].pk])
    answers = []
    with override_settings(RATELIMITS={"attempts_issue": {"ip": (2, 3600)}}):
        for persona in ("mediator", "agent", "supervisor"):
            client.logout()
            login(client, world.users[persona])
            answers.append(client.get(url).status_code)

    assert answers == [200, 200, 429]
    assert AttemptRecord.objects.count() == 2


def test_a_mediator_downloads_the_record_of_a_person_of_their_point(client, persona_world):
    world = persona_world
    login(client, world.users["mediator"])
    walk_in = world.people["walk_in"]

    answer = client.get(reverse("attempts:record_for_person", args=[walk_in.pk]))

    assert answer.status_code == 200
    assert walk_in.surname.upper() in text_of(answer.content)
    record = AttemptRecord.objects.get()
    assert record.issued_as == IssuedBy.MEDIATOR
    assert record.issued_by == world.users["mediator"]
    assert record.access_point == world.points["point"]
    event = AuditEvent.objects.get(action=RECORD_ISSUED)
    assert event.details["access_point"] == world.points["point"].pk


@pytest.mark.parametrize("persona", ["other_mediator", "applicant", "other_agent"])
def test_others_get_a_404_and_nothing_is_issued(client, persona_world, persona):
    world = persona_world
    login(client, world.users[persona])

    answer = client.get(reverse("attempts:record_for_person", args=[world.people["walk_in"].pk]))

    assert answer.status_code == 404
    assert AttemptRecord.objects.count() == 0


def test_without_identity_the_pdf_sends_back_to_the_record_page(web):
    web.force_login(factories.UserFactory())

    answer = web.get(reverse("attempts:record_pdf"))

    assert answer.status_code == 302 and answer.url == reverse("attempts:record")
    assert AttemptRecord.objects.count() == 0
