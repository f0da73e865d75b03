"""Publications refused, and who may publish."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from booking import errors
from booking.models import Publication, Slot
from booking.services import OpeningRange
from tests import factories
from tests.helpers.publishing import (
    MONDAY,
    MORNING,
    PARIS,
    frozen_now,  # noqa: F401 - every test runs at NOW
    publish,
)

pytestmark = pytest.mark.django_db


# --- Refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"date_to": MONDAY - timedelta(days=1)}, id="end-before-start"),
        pytest.param({"slot_minutes": 0}, id="zero-slot-length"),
        pytest.param({"slot_minutes": -20}, id="negative-slot-length"),
        pytest.param({"slot_minutes": 481}, id="slot-longer-than-a-working-day"),
        pytest.param({"date_from": date(2027, 2, 28), "date_to": MONDAY}, id="past-date"),
        pytest.param(
            {"opening_ranges": [MORNING, OpeningRange(time(9, 40), time(11))]},
            id="overlapping-ranges",
        ),
        pytest.param({"opening_ranges": [MORNING, MORNING]}, id="same-range-twice"),
        pytest.param({"opening_ranges": [OpeningRange(time(10), time(9))]}, id="range-backwards"),
        pytest.param(
            {"opening_ranges": [OpeningRange(time(9), time(9, 15))]}, id="range-shorter-than-slot"
        ),
        pytest.param({"opening_ranges": []}, id="no-range"),
        pytest.param({"counters": 0}, id="no-counter"),
        pytest.param({"counters": 201}, id="too-many-counters"),
        pytest.param(
            {"counters": 3, "mediation_counters": 2, "priority_counters": 2},
            id="reserved-more-than-counters",
        ),
        pytest.param({"counters": 3, "mediation_counters": -1}, id="negative-reserved"),
        pytest.param({"weekdays": []}, id="no-weekday"),
        pytest.param({"weekdays": [7]}, id="weekday-out-of-range"),
        pytest.param({"date_to": MONDAY + timedelta(days=366)}, id="more-than-a-year"),
        pytest.param(
            {"visible_until": datetime(2027, 3, 5, tzinfo=PARIS)}, id="window-without-start"
        ),
        pytest.param(
            {
                "visible_at": datetime(2027, 3, 5, 12, tzinfo=PARIS),
                "visible_until": datetime(2027, 3, 5, 11, tzinfo=PARIS),
            },
            id="window-backwards",
        ),
    ],
)
def test_invalid_publication_is_refused_and_creates_nothing(agent, site, procedure, bad):
    with pytest.raises(errors.InvalidPublication) as refused:
        publish(agent, site, procedure, **bad)

    assert refused.value.code == "invalid_publication"
    assert refused.value.status == 400
    assert (Publication.objects.count(), Slot.objects.count()) == (0, 0)


def test_a_publication_may_cover_a_whole_year(agent, site, procedure):
    result = publish(
        agent,
        site,
        procedure,
        date_to=MONDAY + timedelta(days=365),
        weekdays=[0],
        opening_ranges=[OpeningRange(time(9), time(9, 20))],
    )

    assert result.created == 53


@pytest.mark.parametrize("persona", ["applicant", "mediator", "other_agent", "inactive_agent"])
def test_only_an_agent_of_the_site_may_publish(persona, site, procedure, request):
    if persona == "inactive_agent":
        actor = factories.AgentFactory(sites=[site], is_active=False)
    elif persona == "applicant":
        actor = request.getfixturevalue("applicant").user
    else:
        actor = request.getfixturevalue(persona)

    with pytest.raises(errors.NotAllowed) as refused:
        publish(actor, site, procedure)

    assert refused.value.code == "not_allowed"
    assert (Publication.objects.count(), Slot.objects.count()) == (0, 0)


def test_supervisor_may_publish_for_any_site(supervisor, site, procedure):
    assert publish(supervisor, site, procedure).created == 3
