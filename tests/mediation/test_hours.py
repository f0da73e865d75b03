"""A point's opening hours: set by its mediators or a supervisor
(``mediation.services.opening_periods_set``), kept on the console's hours page,
shown on the public list of points, and read when a mediator books."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking.services import appointment_book, bookings
from mediation.errors import AccessPointNotAllowed, InvalidOpeningPeriods
from mediation.models import OpeningPeriod
from mediation.services import PERIODS_PER_DAY_AT_MOST, opening_periods_set
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

WEEK = [(0, time(9), time(12, 30)), (0, time(14), time(17)), (2, time(9), time(12))]


def _periods(point) -> list[tuple[int, time, time]]:
    return list(
        OpeningPeriod.objects.filter(access_point=point)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )


# --- The service ---------------------------------------------------------------------------


def test_the_points_mediator_replaces_its_periods(mediator):
    point = mediator.access_point
    factories.OpeningPeriodFactory(access_point=point, weekday=4, opens=time(8), closes=time(10))

    saved = opening_periods_set(actor=mediator, access_point=point, periods=list(reversed(WEEK)))

    assert _periods(point) == WEEK
    assert [(p.weekday, p.opens, p.closes) for p in saved] == WEEK


def test_the_change_is_audited_with_before_and_after(mediator):
    point = mediator.access_point
    factories.OpeningPeriodFactory(access_point=point, weekday=4, opens=time(8), closes=time(10))

    opening_periods_set(actor=mediator, access_point=point, periods=WEEK[:1])

    event = AuditEvent.objects.get(action=AuditAction.ACCESS_POINT_HOURS_CHANGED)
    assert event.actor == mediator
    assert event.details == {
        "access_point": point.pk,
        "before": [[4, "08:00", "10:00"]],
        "after": [[0, "09:00", "12:30"]],
    }


def test_the_same_periods_again_change_and_audit_nothing(mediator):
    point = mediator.access_point
    opening_periods_set(actor=mediator, access_point=point, periods=WEEK)

    opening_periods_set(actor=mediator, access_point=point, periods=WEEK)

    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_POINT_HOURS_CHANGED).count() == 1


def test_an_empty_week_removes_every_period(mediator):
    point = mediator.access_point
    opening_periods_set(actor=mediator, access_point=point, periods=WEEK)

    assert opening_periods_set(actor=mediator, access_point=point, periods=[]) == []

    assert _periods(point) == []


def test_a_supervisor_sets_any_points_periods(supervisor):
    point = factories.AccessPointFactory()

    opening_periods_set(actor=supervisor, access_point=point, periods=WEEK)

    assert _periods(point) == WEEK


@pytest.mark.parametrize(
    "periods",
    [
        pytest.param([(7, time(9), time(12))], id="no eighth day"),
        pytest.param([(-1, time(9), time(12))], id="no day before Monday"),
        pytest.param([("0", time(9), time(12))], id="a day is a number"),
        pytest.param([(0, time(12), time(9))], id="closes before it opens"),
        pytest.param([(0, time(9), time(9))], id="closes as it opens"),
        pytest.param([(0, time(9), time(12)), (0, time(11), time(14))], id="overlap"),
        pytest.param([(0, time(9), time(12)), (0, time(10), time(11))], id="one inside another"),
        pytest.param(
            [(0, time(h), time(h, 30)) for h in range(8, 9 + PERIODS_PER_DAY_AT_MOST)],
            id="too many a day",
        ),
        pytest.param([(0, time(9))], id="not a period"),
    ],
)
def test_invalid_periods_are_refused_and_change_nothing(mediator, periods):
    point = mediator.access_point
    opening_periods_set(actor=mediator, access_point=point, periods=WEEK)

    with pytest.raises(InvalidOpeningPeriods) as raised:
        opening_periods_set(actor=mediator, access_point=point, periods=periods)

    assert raised.value.code == "invalid_opening_periods"
    assert str(raised.value.message)
    assert _periods(point) == WEEK
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_POINT_HOURS_CHANGED).count() == 1


def test_periods_that_touch_are_not_an_overlap(mediator):
    periods = [(1, time(9), time(12)), (1, time(12), time(15))]

    opening_periods_set(actor=mediator, access_point=mediator.access_point, periods=periods)

    assert _periods(mediator.access_point) == periods


@pytest.mark.parametrize("who", ["other_mediator", "agent", "applicant", "inactive_mediator"])
def test_anyone_else_is_refused_and_nothing_changes(mediator, site, who):
    point = mediator.access_point
    factories.OpeningPeriodFactory(access_point=point, weekday=4, opens=time(8), closes=time(10))
    actor = {
        "other_mediator": lambda: factories.MediatorFactory(),
        "agent": lambda: factories.AgentFactory(sites=[site]),
        "applicant": lambda: factories.ApplicantFactory().user,
        "inactive_mediator": lambda: factories.MediatorFactory(access_point=point, is_active=False),
    }[who]()

    with pytest.raises(AccessPointNotAllowed):
        opening_periods_set(actor=actor, access_point=point, periods=WEEK)

    assert _periods(point) == [(4, time(8), time(10))]
    assert not AuditEvent.objects.filter(action=AuditAction.ACCESS_POINT_HOURS_CHANGED).exists()


# --- The console's page --------------------------------------------------------------------


def _week_data(**values: str) -> dict[str, str]:
    data = {
        f"d{day}_{moment}_{edge}": ""
        for day in range(7)
        for moment in ("morning", "afternoon")
        for edge in ("opens", "closes")
    }
    data.update(values)
    return data


def test_the_page_shows_the_current_periods(client, mediator):
    point = mediator.access_point
    opening_periods_set(actor=mediator, access_point=point, periods=WEEK)
    login(client, mediator)

    response = client.get(reverse("mediation:hours"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="time"' in html
    assert 'name="d0_afternoon_opens"' in html and 'value="14:00"' in html
    assert response.context["form"]["d2_morning_closes"].value() == time(12)
    assert list(response.context["periods"]) == list(
        OpeningPeriod.objects.filter(access_point=point)
    )


def test_the_page_saves_the_week(client, mediator):
    login(client, mediator)

    response = client.post(
        reverse("mediation:hours"),
        _week_data(
            d0_morning_opens="09:00",
            d0_morning_closes="12:30",
            d0_afternoon_opens="14:00",
            d0_afternoon_closes="17:00",
            d2_morning_opens="09:00",
            d2_morning_closes="12:00",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:hours")
    assert _periods(mediator.access_point) == WEEK


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"d0_morning_opens": "12:00", "d0_morning_closes": "09:00"}, "d0_morning_closes"),
        ({"d1_morning_opens": "09:00"}, "d1_morning_closes"),
        ({"d1_afternoon_closes": "17:00"}, "d1_afternoon_opens"),
        ({"d3_morning_opens": "25:00", "d3_morning_closes": "26:00"}, "d3_morning_opens"),
        (
            {
                "d4_morning_opens": "09:00",
                "d4_morning_closes": "14:00",
                "d4_afternoon_opens": "13:00",
                "d4_afternoon_closes": "17:00",
            },
            "d4_afternoon_opens",
        ),
    ],
)
def test_the_page_shows_errors_and_saves_nothing(client, mediator, values, field):
    point = mediator.access_point
    opening_periods_set(actor=mediator, access_point=point, periods=WEEK)
    login(client, mediator)

    response = client.post(reverse("mediation:hours"), _week_data(**values))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'id="error-summary"' in response.content.decode()
    assert _periods(point) == WEEK


def test_the_page_is_the_point_mediators_only(client, supervisor):
    login(client, supervisor)

    assert client.get(reverse("mediation:hours")).status_code == 403


def test_the_console_links_to_the_page(client, mediator):
    login(client, mediator)

    html = client.get(reverse("mediation:home")).content.decode()

    assert f'href="{reverse("mediation:hours")}"' in html


def test_the_public_list_shows_each_points_periods(client, django_assert_max_num_queries):
    first, second = factories.AccessPointFactory(), factories.AccessPointFactory()
    supervisor = factories.UserFactory(role="supervisor")
    opening_periods_set(actor=supervisor, access_point=first, periods=WEEK)
    opening_periods_set(actor=supervisor, access_point=second, periods=[(5, time(10), time(11))])
    factories.AccessPointFactory.create_batch(3)

    with django_assert_max_num_queries(2):  # the points, then all their periods
        response = client.get(reverse("mediation:points"))

    html = response.content.decode()
    assert "14:00" in html and "17:00" in html
    assert "10:00" in html and "11:00" in html


# --- The flag on a mediator's booking ------------------------------------------------------


class _Clock:
    """``django.utils.timezone`` as the booking service sees it, stopped at ``at``."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def __getattr__(self, name):
        return getattr(timezone, name)


@pytest.fixture
def at_nine_pm_tomorrow(monkeypatch) -> datetime:
    tomorrow = timezone.localdate() + timedelta(days=1)
    at = timezone.make_aware(datetime.combine(tomorrow, time(21)))
    monkeypatch.setattr(bookings, "timezone", _Clock(at))
    return at


@pytest.fixture
def walk_in(mediator):
    person = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    factories.ConsentFactory(applicant=person, mediator=mediator)
    return person


@pytest.mark.parametrize(
    ("periods", "flagged"),
    [
        pytest.param([(time(9), time(12)), (time(14), time(17))], True, id="closed at 21:00"),
        pytest.param([(time(9), time(12)), (time(18), time(22))], False, id="open at 21:00"),
    ],
)
def test_a_booking_made_while_the_point_is_closed_is_flagged(
    mediator, walk_in, at_nine_pm_tomorrow, periods, flagged
):
    weekday = at_nine_pm_tomorrow.weekday()
    opening_periods_set(
        actor=mediator,
        access_point=mediator.access_point,
        periods=[(weekday, opens, closes) for opens, closes in periods],
    )
    slot = factories.SlotFactory(starts_at=at_nine_pm_tomorrow + timedelta(days=2))

    appointment = appointment_book(actor=mediator, applicant=walk_in, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert appointment.outside_opening_hours is flagged
