"""The abuse report: each signal finds the pattern seeded and not the innocent
one next to it; the page shows it with its links, its CSV is formula-safe, its
queries do not grow with the data, and only supervisors read it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from backoffice.abuse import selectors
from booking.services import appointment_book
from tests import factories
from tests.auth import login
from tests.helpers.abuse import (
    seed_appointment,
    seed_check_in_refused,
    seed_every_signal,
    seed_refused_claims,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot(db):
    return factories.SlotFactory()


@pytest.fixture
def supervisor(db):
    return factories.UserFactory(role=Role.SUPERVISOR)


def _staff(role=Role.SUPERVISOR):
    return factories.UserFactory(role=role)


def _ago(**delta):
    return timezone.now() - timedelta(**delta)


def test_an_identity_booked_from_three_accounts_is_found_not_one_from_two(slot):
    farmed, innocent = factories.ApplicantFactory(), factories.ApplicantFactory()
    for _ in range(3):
        seed_appointment(
            farmed, slot=slot, booked_by=_staff(), role=Role.SUPERVISOR, cancelled_at=_ago(hours=1)
        )
    seed_appointment(innocent, slot=slot, cancelled_at=_ago(hours=1))
    seed_appointment(innocent, slot=slot, booked_by=_staff(), role=Role.SUPERVISOR)

    rows = selectors.identities_many_accounts()

    assert [(row["applicant_id"], row["accounts"]) for row in rows] == [(farmed.pk, 3)]


def test_the_period_bounds_what_is_read(slot):
    farmed = factories.ApplicantFactory()
    for _ in range(3):
        seed_appointment(
            farmed,
            slot=slot,
            booked_by=_staff(),
            role=Role.SUPERVISOR,
            created_at=_ago(days=40),
            cancelled_at=_ago(days=40),
        )

    assert selectors.identities_many_accounts() == []
    assert len(selectors.identities_many_accounts(period=selectors.Period.last_days(60))) == 1


def test_an_applicants_account_behind_two_identities_is_found(slot):
    broker, innocent = factories.ApplicantFactory(), factories.ApplicantFactory()
    seed_appointment(broker, slot=slot, cancelled_at=_ago(hours=3))
    seed_appointment(factories.ApplicantFactory(user=None), slot=slot, booked_by=broker.user)
    seed_appointment(innocent, slot=slot, cancelled_at=_ago(hours=3))
    seed_appointment(innocent, slot=slot)
    # A mediator books for many people by trade: not this section.
    mediator = factories.MediatorFactory()
    for _ in range(3):
        seed_appointment(
            factories.ApplicantFactory(user=None), slot=slot, booked_by=mediator, role=Role.MEDIATOR
        )

    rows = selectors.accounts_many_identities()

    assert [(row["booked_by_id"], row["identities"]) for row in rows] == [(broker.user_id, 2)]


def test_a_phone_and_an_address_behind_three_identities_are_found(slot):
    for _ in range(3):
        seed_appointment(
            factories.ApplicantFactory(
                user=None, phone="+33611111111", email="shared@example.test"
            ),
            slot=slot,
            booked_by=_staff(),
            role=Role.SUPERVISOR,
        )
    for _ in range(2):
        seed_appointment(
            factories.ApplicantFactory(
                user=None, phone="+33622222222", email="family@example.test"
            ),
            slot=slot,
            booked_by=_staff(),
            role=Role.SUPERVISOR,
        )
    # Shared too, but nobody of them booked in the period.
    for _ in range(3):
        factories.ApplicantFactory(user=None, phone="+33633333333")

    phones = selectors.contacts_many_identities(kind="phone")
    emails = selectors.contacts_many_identities(kind="email")

    assert [(row["contact"], row["identities"]) for row in phones] == [("+33611111111", 3)]
    assert [(row["contact"], row["identities"]) for row in emails] == [("shared@example.test", 3)]
    assert len(phones[0]["applicant_ids"]) == 3


def test_cancelling_then_booking_again_at_once_is_found_not_a_later_rebooking(slot):
    reseller, innocent = factories.ApplicantFactory(), factories.ApplicantFactory()
    for days in (3, 2):
        cancelled = _ago(days=days)
        seed_appointment(
            reseller, slot=slot, created_at=cancelled - timedelta(days=1), cancelled_at=cancelled
        )
        seed_appointment(
            reseller,
            slot=slot,
            created_at=cancelled + timedelta(minutes=2),
            cancelled_at=cancelled + timedelta(hours=1),
        )
        seed_appointment(
            innocent, slot=slot, created_at=cancelled - timedelta(days=1), cancelled_at=cancelled
        )
        # Booked again, but a day later: someone who changed their plans.
        seed_appointment(
            innocent,
            slot=slot,
            created_at=cancelled + timedelta(days=1),
            cancelled_at=cancelled + timedelta(days=1, hours=1),
        )

    rows = selectors.cancel_rebook()

    assert [row["applicant_id"] for row in rows] == [reseller.pk]
    assert rows[0]["cancellations"] == 4
    assert rows[0]["rebookings"] == 2
    assert rows[0]["percent"] == 50


def test_another_procedure_is_no_rebooking(slot):
    person = factories.ApplicantFactory()
    other_slot = factories.SlotFactory(site=slot.site)  # another procedure
    for days in (3, 2):
        cancelled = _ago(days=days)
        seed_appointment(
            person, slot=slot, created_at=cancelled - timedelta(days=1), cancelled_at=cancelled
        )
        seed_appointment(
            person,
            slot=other_slot,
            created_at=cancelled + timedelta(minutes=2),
            cancelled_at=cancelled + timedelta(hours=1),
        )

    assert selectors.cancel_rebook() == []


def test_refused_check_ins_are_listed_with_who_booked(slot):
    refused = seed_appointment(factories.ApplicantFactory(), slot=slot)
    seed_check_in_refused(refused, times=2)
    seed_appointment(factories.ApplicantFactory(), slot=slot)  # checked in normally: nothing

    rows = selectors.check_in_mismatches()

    assert [(row["appointment_reference"], row["attempts"]) for row in rows] == [
        (refused.reference, 2)
    ]
    assert rows[0]["appointment__booked_by_id"] == refused.booked_by_id


def test_a_mediator_far_above_the_median_and_one_outside_hours_are_found(slot, settings):
    settings.ABUSE_MEDIATOR_VOLUME_MIN = 5
    point = factories.AccessPointFactory()
    usual = [factories.MediatorFactory(access_point=point) for _ in range(3)]
    busy = factories.MediatorFactory(access_point=point)
    late = factories.MediatorFactory(access_point=point)
    for mediator, count in [*((m, 2) for m in usual), (busy, 12), (late, 2)]:
        for n in range(count):
            seed_appointment(
                factories.ApplicantFactory(user=None),
                slot=slot,
                booked_by=mediator,
                role=Role.MEDIATOR,
                access_point=point,
                outside_opening_hours=mediator == late and n == 0,
            )

    rows, median = selectors.mediators_unusual()

    assert median == 2
    found = {row["booked_by_id"]: row for row in rows}
    assert set(found) == {busy.pk, late.pk}
    assert found[busy.pk]["high_volume"] and found[busy.pk]["times_median"] == 6
    assert found[late.pk]["outside_hours"] == 1 and not found[late.pk]["high_volume"]


def test_accounts_with_refused_identity_claims_are_found(settings):
    settings.ABUSE_REFUSED_CLAIMS_MIN = 2
    farmer, clumsy = factories.UserFactory(), factories.UserFactory()
    seed_refused_claims(farmer, times=3)
    seed_refused_claims(clumsy, times=1)

    rows = selectors.refused_claims()

    assert [(row["account_id"], row["attempts"], row["identities"]) for row in rows] == [
        (farmer.pk, 3, 3)
    ]


# --- The page -------------------------------------------------------------------------


def test_the_page_shows_each_section_with_links_to_the_trail_and_the_account(web, supervisor):
    seed_every_signal()
    login(web, supervisor)

    response = web.get(reverse("agent:abuse"))

    page = response.content.decode()
    assert response.status_code == 200
    for title in (
        "Identities booked from many accounts",
        "Accounts behind many identities",
        "Phone numbers behind many identities",
        "Cancelled then booked again at once",
        "Check-ins refused: another document",
        "Mediators: unusual volume or bookings outside opening hours",
        "Refused identity claims",
    ):
        assert title in page
    assert reverse("audit:search") + "?applicant=" in page
    assert reverse("audit:search") + "?actor=" in page
    assert reverse("audit:search") + "?reference=" in page
    assert "/agent/abuse/accounts/" in page
    assert page.count("Nothing in this period.") == 1  # the e-mail addresses: none shared


def test_the_csv_of_a_section_is_formula_safe(web, supervisor, slot):
    farmed = factories.ApplicantFactory(surname='=HYPERLINK("http://x")')
    for _ in range(3):
        seed_appointment(
            farmed, slot=slot, booked_by=_staff(), role=Role.SUPERVISOR, cancelled_at=_ago(hours=1)
        )
    login(web, supervisor)

    response = web.get(reverse("agent:abuse_csv", args=["identities"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["applicant_id", "applicant__surname", "accounts"]
    assert rows[1][1].startswith("'=")
    assert rows[1][2] == "3"


def test_an_unknown_section_is_404_and_a_bad_period_a_message(web, supervisor):
    login(web, supervisor)

    assert web.get(reverse("agent:abuse_csv", args=["nothing"])).status_code == 404
    for days in ("abc", "0", "100000", "99999999999999999999999"):
        response = web.get(reverse("agent:abuse"), {"days": days})
        assert response.status_code == 400
        assert "fr-error-text" in response.content.decode() or "error" in response.content.decode()


@pytest.mark.parametrize("role", [Role.AGENT, Role.MEDIATOR, Role.APPLICANT])
def test_only_supervisors_read_the_report(web, role):
    login(web, factories.UserFactory(role=role, access_point=factories.AccessPointFactory()))

    assert web.get(reverse("agent:abuse")).status_code == 403
    assert web.get(reverse("agent:abuse_csv", args=["identities"])).status_code == 403


def test_the_pages_queries_do_not_grow_with_the_data(
    web, supervisor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(web, supervisor)
    seed_every_signal(scale=1)
    web.get(reverse("agent:abuse"))  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert web.get(reverse("agent:abuse")).status_code == 200
    seed_every_signal(scale=4)
    with CaptureQueriesContext(connection) as large:
        assert web.get(reverse("agent:abuse")).status_code == 200

    assert len(large) == len(small)
    with django_assert_max_num_queries(len(small)):
        web.get(reverse("agent:abuse"))


def test_abuse_routes_take_a_bounded_number_of_queries(web, supervisor):
    """The report, a section's CSV and an account's page read as many queries
    with four times the data; suspending and lifting stay under a bound (a
    suspension cancels each of the account's appointments through the booking
    service: one active appointment per procedure, so the procedures bound it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(web, supervisor)
    seeded = seed_every_signal(scale=1)
    account = factories.ApplicantFactory()
    appointment_book(
        actor=account.user,
        applicant=account,
        slot_id=factories.SlotFactory(site=seeded["site"]).pk,
    )
    urls = [
        reverse("agent:abuse"),
        reverse("agent:abuse_csv", args=["rebook"]),
        reverse("agent:abuse_account", args=[account.user_id]),
    ]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = web.get(url)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
            assert response.status_code == 200
            found.append(len(queries))
        return found

    counts()  # the session and the caches warm
    small = counts()
    seed_every_signal(scale=4)
    assert counts() == small
    # The session, the account, its second factor; one query per section (8).
    assert small[0] <= 11

    _post_bounded(web, 30, reverse("agent:abuse_suspend", args=[account.user_id]), {"reason": "x"})
    _post_bounded(web, 12, reverse("agent:abuse_lift", args=[account.user_id]), {})


def _post_bounded(client, limit: int, url: str, data: dict) -> None:
    """The POST makes at most ``limit`` queries and answers a redirect (done)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 302, response.status_code
    assert len(queries) <= limit, f"{url}: {len(queries)} queries > {limit}"


def test_every_row_of_every_section_links_to_the_audit_trail(web, supervisor):
    """Each row, in each of the seven sections with rows, carries its own link
    to the audit trail (for the phones, one per person behind the number)."""
    import re

    seed_every_signal()
    login(web, supervisor)

    page = web.get(reverse("agent:abuse")).content.decode()

    trail = re.escape(reverse("audit:search")) + r"\?(applicant|actor|reference)="
    sections = dict(
        re.findall(r'<section[^>]*aria-labelledby="abuse-([a-z]+)"(.*?)</section>', page, re.S)
    )
    with_rows = {slug for slug, html in sections.items() if "<tbody>" in html}
    assert with_rows == {
        "identities",
        "accounts",
        "phones",
        "rebook",
        "checkin",
        "mediators",
        "claims",
    }
    for slug in with_rows:
        body = sections[slug].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        rows = body.split("<tr>")[1:]
        assert rows, slug
        for row in rows:
            assert re.search(r'href="' + trail, row), (slug, row[:300])
