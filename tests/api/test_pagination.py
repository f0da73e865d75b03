"""Every list of the API comes a page at a time (cursor pagination, capped page
size), and the appointments list filters by day, site, procedure and status;
malformed input is a 400 ``invalid``, never a 404 nor a 500."""

from __future__ import annotations

import base64
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts.services import api_token_create
from booking.models import Appointment
from booking.services import appointment_book, appointment_cancel
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def _book_many(count: int, *, site, procedure=None) -> list[Appointment]:
    booked = []
    for _ in range(count):
        applicant = factories.ApplicantFactory()
        slot = factories.SlotFactory(site=site, procedure=procedure or factories.ProcedureFactory())
        booked.append(appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk))
    return booked


def _cursor_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def _walk(client, url: str, **params) -> list[dict]:
    """Every row of a list, following ``next`` from the first page."""
    rows: list[dict] = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        rows.extend(body["results"])
        if body["next"] is None:
            return rows
        response = client.get(url, {**params, "cursor": _cursor_of(body["next"])})


def _forged(position: str) -> str:
    return base64.b64encode(f"p={position}".encode()).decode()


def _local(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


# --- Pages -------------------------------------------------------------------------


def test_the_list_comes_a_page_at_a_time_with_the_default_size(supervisor, site, settings):
    settings.API_PAGE_SIZE = 3
    _book_many(5, site=site)

    body = token_client(supervisor).get(URL).json()

    assert len(body["results"]) == 3
    assert body["previous"] is None
    assert body["next"] is not None


def test_a_page_size_above_the_cap_gets_the_cap(supervisor, site, settings):
    settings.API_PAGE_SIZE, settings.API_MAX_PAGE_SIZE = 2, 4
    _book_many(6, site=site)

    client = token_client(supervisor)
    for huge in (10_000_000_000_000_000_000, "9" * 5000, "0" * 3 + "5"):
        response = client.get(URL, {"page_size": huge})

        assert response.status_code == 200
        assert len(response.json()["results"]) == 4


def test_cursors_walk_the_whole_list_exactly_once_both_ways(supervisor, site):
    booked = _book_many(7, site=site)
    client = token_client(supervisor)

    forward = _walk(client, URL, page_size=2)

    references = [row["reference"] for row in forward]
    assert sorted(references) == sorted(a.reference for a in booked)
    assert len(set(references)) == len(references) == 7
    # Newest booking first, and the same order coming back from the last page.
    assert references == [a.reference for a in reversed(booked)]
    last = client.get(URL, {"page_size": 2, "cursor": _cursor_of(_last_page_link(client))})
    backward: list[str] = []
    body = last.json()
    while True:
        backward = [row["reference"] for row in body["results"]] + backward
        if body["previous"] is None:
            break
        body = client.get(URL, {"page_size": 2, "cursor": _cursor_of(body["previous"])}).json()
    assert backward == references


def _last_page_link(client) -> str:
    body = client.get(URL, {"page_size": 2}).json()
    link = None
    while body["next"] is not None:
        link = body["next"]
        body = client.get(URL, {"page_size": 2, "cursor": _cursor_of(link)}).json()
    return link


def test_a_walk_is_not_thrown_off_by_bookings_made_during_it(supervisor, site):
    booked = _book_many(4, site=site)
    client = token_client(supervisor)

    first = client.get(URL, {"page_size": 2}).json()
    _book_many(3, site=site)  # newer: they come before the cursor, not after it
    rest = _walk_from(client, first["next"])

    seen = [row["reference"] for row in first["results"] + rest]
    assert seen == [a.reference for a in reversed(booked)]


def _walk_from(client, link: str) -> list[dict]:
    rows = []
    while link is not None:
        body = client.get(URL, {"page_size": 2, "cursor": _cursor_of(link)}).json()
        rows.extend(body["results"])
        link = body["next"]
    return rows


@pytest.mark.parametrize(
    ("url", "ordering"),
    [("/api/v1/sites/", "name"), ("/api/v1/procedures/", "name"), ("/api/v1/auth/tokens/", "")],
)
def test_every_list_of_the_api_is_paginated(applicant_user, url, ordering):
    # A tie on the name, and names whose cursor position is not ASCII.
    for name in ("Zeta", "Alpha", "Mu", "Alpha", "Évry & Saint-Denis", "Évry & Saint-Denis"):
        factories.SiteFactory(name=name)
        factories.ProcedureFactory(name=name)
    for _ in range(4):
        api_token_create(user=applicant_user)
    client = token_client(applicant_user)

    first = client.get(url, {"page_size": 1}).json()
    rows = _walk(client, url, page_size=1)

    assert len(first["results"]) == 1 and first["next"] is not None
    assert len(rows) >= 4
    keys = [row.get("slug") or row.get("id") for row in rows]
    assert len(set(keys)) == len(keys)
    if ordering:  # the database's order, page after page
        assert len(rows) == 6
        assert [row[ordering] for row in rows] == [row[ordering] for row in _all(client, url)]


def _all(client, url: str) -> list[dict]:
    return client.get(url, {"page_size": 1000}).json()["results"]


# --- Filters -----------------------------------------------------------------------


def test_the_list_filters_by_local_days(supervisor, site, procedure):
    day = timezone.localdate() + timedelta(days=5)
    starts = {
        "day before, late": _local(day - timedelta(days=1), 23, 40),
        "first thing": _local(day, 0, 0),
        "last thing": _local(day, 23, 40),
        "next day": _local(day + timedelta(days=1), 0, 0),
    }
    references = {}
    for name, starts_at in starts.items():
        applicant = factories.ApplicantFactory()
        slot = factories.SlotFactory(
            site=site,
            procedure=procedure,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=20),
        )
        references[name] = appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=slot.pk
        ).reference
    client = token_client(supervisor)

    def listed(**params) -> set[str]:
        return {row["reference"] for row in _walk(client, URL, **params)}

    assert listed(date_from=day, date_to=day) == {
        references["first thing"],
        references["last thing"],
    }
    assert listed(date_from=day + timedelta(days=1)) == {references["next day"]}
    assert listed(date_to=day - timedelta(days=1)) == {references["day before, late"]}
    # The ends of the calendar are no bound, not an error.
    assert len(listed(date_from="0001-01-01", date_to="9999-12-31")) == 4


def test_the_list_filters_by_site_procedure_and_status(supervisor, site, procedure):
    other_site, other_procedure = factories.SiteFactory(), factories.ProcedureFactory()
    here = _book_many(2, site=site, procedure=procedure)
    there = _book_many(1, site=other_site, procedure=procedure)
    other = _book_many(1, site=site, procedure=other_procedure)
    appointment_cancel(actor=here[0].applicant.user, appointment=here[0])
    client = token_client(supervisor)

    def listed(**params) -> set[str]:
        return {row["reference"] for row in _walk(client, URL, **params)}

    assert listed(site=site.slug) == {a.reference for a in (*here, *other)}
    assert listed(site=other_site.slug) == {there[0].reference}
    assert listed(procedure=other_procedure.slug) == {other[0].reference}
    assert listed(status="cancelled") == {here[0].reference}
    assert listed(site=site.slug, procedure=procedure.slug, status="booked") == {here[1].reference}
    assert listed(site="no-such-site") == set()


def test_an_agent_filtering_on_another_site_sees_nothing_of_it(agent, site):
    other_site = factories.SiteFactory()
    mine = _book_many(1, site=site)
    _book_many(2, site=other_site)
    client = token_client(agent)

    everything = client.get(URL).json()["results"]
    filtered = client.get(URL, {"site": other_site.slug}).json()
    unknown = client.get(URL, {"site": "no-such-site"}).json()

    assert [row["reference"] for row in everything] == [mine[0].reference]
    assert filtered == unknown == {"next": None, "previous": None, "results": []}


# --- Bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "0"},
        {"page_size": "-3"},
        {"page_size": "ten"},
        {"page_size": "1.5"},
        {"page_size": "²"},
        {"page_size": ""},
        {"cursor": "not-a-cursor"},
        {"cursor": "é"},
        {"cursor": _forged("yesterday")},  # not an id
        {"cursor": _forged("99999999999999999999999")},  # beyond bigint
        {"cursor": base64.b64encode(b"o=x").decode()},
        {"date_from": "2026-13-01"},
        {"date_to": "tomorrow"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"site": "not a slug"},
        {"site": "x" * 51},
        {"procedure": "é/../"},
        {"status": "gone"},
        {"status": ""},
        {"date_from": ""},
    ],
)
def test_malformed_list_parameters_are_a_400_in_the_error_format(supervisor, site, params):
    _book_many(1, site=site)

    response = token_client(supervisor).get(URL, params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert set(body["fields"]) <= {
        "page_size",
        "cursor",
        "date_from",
        "date_to",
        "site",
        "procedure",
        "status",
    }


@pytest.mark.parametrize("url", ["/api/v1/sites/", "/api/v1/procedures/", "/api/v1/auth/tokens/"])
@pytest.mark.parametrize(
    "params", [{"page_size": "0"}, {"cursor": "%%%"}, {"cursor": _forged("a\x00b")}]
)
def test_malformed_paging_of_any_list_is_a_400(applicant_user, url, params):
    factories.SiteFactory()
    factories.ProcedureFactory()

    response = token_client(applicant_user).get(url, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_schema_documents_pages_and_filters():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    listing = schema["paths"]["/api/v1/appointments/"]["get"]
    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert {"cursor", "page_size", "date_from", "date_to", "site", "procedure", "status"} <= set(
        parameters
    )
    assert parameters["page_size"]["minimum"] == 1
    assert "cancelled" in parameters["status"]["enum"]
    assert parameters["date_from"]["format"] == "date"
    assert "400" in listing["responses"]
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/PaginatedAppointmentList"}
    for path in ("/api/v1/sites/", "/api/v1/procedures/", "/api/v1/auth/tokens/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"cursor", "page_size"} <= names
