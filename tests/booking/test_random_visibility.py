"""A publication visible at a random moment inside a window, made on the agent's
page: until the moment, its slots are on no applicant page, in no availability
answer (cached or not) and refused to booking, and the moment is in no answer
at all (agent pages, API, the audit trail shown to supervisors); once it
passes, the slots appear without any write and can be booked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from audit.models import AuditAction, AuditEvent
from booking.models import Publication, Slot
from booking.services import publications
from tests.api.test_availability_cache import clock  # noqa: F401 - the fixture
from tests.auth import login
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

AVAILABILITY = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"
DRAWN = 11 * 60 + 17  # seconds after the window's start: the moment "drawn"


def _local(value: str) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _range_hour(moment: datetime) -> int:
    """The hour the published slots start at: two hours at least from the
    moment's, local and UTC, so that no slot's time (shown on every page)
    reads like the moment's ``HH:MM`` (a run at 09:50 once drew 10:00, a slot's
    end)."""
    near = {timezone.localtime(moment).hour, moment.astimezone(UTC).hour}

    def far(hour: int) -> bool:
        return all(min((hour - h) % 24, (h - hour) % 24) >= 2 for h in near)

    return next(hour for hour in (3, 9, 15, 21) if far(hour) and far(hour + 1))


def _moment_marks(moment: datetime) -> list[str]:
    """Every way an answer could tell the moment."""
    local = timezone.localtime(moment)
    utc = moment.astimezone(UTC)
    shown = []
    for language in ("en", "fr"):
        with translation.override(language):
            shown += [date_format(local, "DATETIME_FORMAT"), date_format(local, "TIME_FORMAT")]
    return [
        *shown,
        moment.isoformat(),
        local.isoformat(),
        utc.isoformat().replace("+00:00", "Z"),
        f"{local:%H:%M}",
        f"{utc:%H:%M}",
        f"{local:%H:%M:%S}",
        f"{local:%H}h{local:%M}",
        f"{local:%H} h {local:%M}",
        str(int(moment.timestamp())),
    ]


# A UTC offset written after a time ("T01:49:00+01:00"): not a time of day. A
# moment at 01:00 UTC (02:00 in Paris in winter) has the mark "01:00", which
# every offset of the winter answers: the test failed from 00:49 to 00:50 UTC.
_OFFSET = re.compile(r"(?<=\d\d:\d\d:\d\d)(?:\.\d+)?[+-]\d\d:\d\d")


def _tells(answer: str, mark: str) -> bool:
    """Whether ``answer`` tells the moment by ``mark`` (UTC offsets set aside)."""
    return mark in _OFFSET.sub("", answer)


def _available(client, procedure) -> set[int]:
    response = client.get(AVAILABILITY, {"procedure": procedure.slug})
    assert response.status_code == 200
    return {row["slot"] for row in response.json()}


@pytest.fixture
def published(client, agent, site, procedure, clock, monkeypatch):  # noqa: F811
    """The agent publishes an hour of slots in 3 days through the page, visible at a
    random moment between 10 and 30 minutes from now (the draw fixed)."""
    monkeypatch.setattr(publications.secrets, "randbelow", lambda span: DRAWN)
    now = timezone.localtime().replace(second=0, microsecond=0)
    start, end = now + timedelta(minutes=10), now + timedelta(minutes=30)
    day = (now + timedelta(days=3)).date()
    hour = _range_hour(start + timedelta(seconds=DRAWN))
    login(client, agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = {
        "site": site.pk,
        "procedure": procedure.pk,
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
        "weekdays": [str(n) for n in range(7)],
        "range_1_start": f"{hour:02d}:00",
        "range_1_end": f"{hour + 1:02d}:00",
        "slot_minutes": "20",
        "counters": "2",
        "mediation_counters": "0",
        "priority_counters": "0",
        "visibility": "window",
        "visible_at": _local(start),
        "visible_until": _local(end),
    }
    preview = client.post(reverse("agent:publish"), {**form, "action": "preview"})
    answer = client.post(reverse("agent:publish"), {**form, "action": "publish"}, follow=True)
    publication = Publication.objects.get()
    assert publication.visible_at == start + timedelta(seconds=DRAWN)
    return {
        "publication": publication,
        "slots": set(Slot.objects.values_list("pk", flat=True)),
        "day": day,
        "answers": [preview, answer],
        "moment": publication.visible_at,
    }


def test_the_slots_stay_hidden_until_their_moment_then_appear(
    published,
    applicant,
    procedure,
    site,
    clock,  # noqa: F811
):
    slots, moment = published["slots"], published["moment"]
    assert len(slots) == 3
    api = token_client(applicant.user)
    web = login(Client(), applicant.user)
    times = reverse("booking:times", args=[procedure.slug, site.slug])
    one = min(slots)

    # Before: no availability (twice: the second is the cached answer), no page, no booking.
    assert _available(api, procedure) == set()
    clock.advance(2)
    assert _available(api, procedure) == set()
    page = web.get(times, {"date": published["day"].isoformat()})
    assert not {slot.pk for slot in page.context["slots"]} & slots
    assert web.get(reverse("booking:confirm", args=[one])).status_code == 404
    refused = api.post(APPOINTMENTS, {"slot": one}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (404, "slot_not_found")

    # The moment passes: no write, and the kept answer is out of date.
    clock.advance((moment - timezone.now()).total_seconds() + 1)
    assert _available(api, procedure) == slots
    page = web.get(times, {"date": published["day"].isoformat()})
    assert {slot.pk for slot in page.context["slots"]} == slots
    booked = api.post(APPOINTMENTS, {"slot": one}, format="json")
    assert booked.status_code == 201


def test_the_moment_is_in_no_answer_before_it_passes(
    published,
    agent,
    supervisor,
    procedure,
    site,
    clock,  # noqa: F811
):
    moment = published["moment"]
    marks = _moment_marks(moment)
    agent_web = published["answers"][0].client
    day = published["day"].isoformat()
    day_url = reverse("agent:calendar_day", args=[site.slug, procedure.slug, day])
    agent_api = token_client(agent)
    answers = [
        *(answer.content.decode() for answer in published["answers"]),
        agent_web.get(day_url).content.decode(),
        agent_web.get(
            reverse("agent:calendar"), {"site": site.slug, "procedure": procedure.slug}
        ).content.decode(),
        agent_api.get(
            "/api/v1/agent/calendar/",
            {"site": site.slug, "procedure": procedure.slug, "from": day, "to": day},
        ).content.decode(),
        agent_api.get(AVAILABILITY, {"procedure": procedure.slug}).content.decode(),
        json.dumps(AuditEvent.objects.get(action=AuditAction.SLOTS_PUBLISHED).details),
        login(Client(), supervisor).get(reverse("audit:search")).content.decode(),
    ]

    for answer in answers:
        for mark in marks:
            assert not _tells(answer, mark), mark
    # What is said instead: the window.
    assert "at a random moment between" in answers[2]

    clock.advance((moment - timezone.now()).total_seconds() + 1)

    after = agent_web.get(day_url).content.decode()
    with translation.override("en"):
        assert date_format(timezone.localtime(moment), "DATETIME_FORMAT") in after
    assert "at a random moment between" not in after


def test_the_admin_shows_the_window_not_the_moment(published, admin_client):
    publication = published["publication"]
    marks = _moment_marks(published["moment"])
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    pages = [
        admin_client.get(reverse("admin:booking_publication_changelist")),
        admin_client.get(reverse("admin:booking_publication_change", args=[publication.pk])),
        admin_client.get(reverse("admin:booking_slot_changelist")),
        admin_client.get(reverse("admin:booking_slot_change", args=[min(published["slots"])])),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "at a random moment between" in page.content.decode()
        for mark in marks:
            assert not _tells(page.content.decode(), mark), mark


def test_the_audit_row_holds_the_window_not_the_moment(published):
    details = AuditEvent.objects.get(action=AuditAction.SLOTS_PUBLISHED).details

    assert "visible_at" not in details
    start, end = (datetime.fromisoformat(value) for value in details["visible_window"])
    assert start <= published["moment"] <= end


def test_a_chosen_time_is_shown_before_it_passes(client, agent, slot):
    """A time the agent chose is no secret: only a drawn moment is."""
    later = timezone.now() + timedelta(hours=2)
    Slot.objects.filter(pk=slot.pk).update(published_at=later)
    login(client, agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    day = timezone.localdate(slot.starts_at).isoformat()

    page = client.get(
        reverse("agent:calendar_day", args=[slot.site.slug, slot.procedure.slug, day])
    )

    with translation.override("en"):
        assert date_format(timezone.localtime(later), "DATETIME_FORMAT") in page.content.decode()
