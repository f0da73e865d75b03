"""The dashboard's past weeks kept (``backoffice.dashboard.store``): the figures
read from the table equal the live computation at every grouping (medians
included), the hourly refresh is idempotent and fills what is missing, and a
week not kept is computed live. Then the closures' and court orders' figures,
each computed exactly, and never another site's for an agent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.dashboard import (
    REFRESH_WEEKS,
    WEEKS_MAX,
    dashboard_build,
    dashboard_scope,
    dashboard_weeks_due,
    dashboard_weeks_refresh,
    monday,
    stored_detail,
)
from backoffice.models import DashboardWeek, DashboardWeekComputed
from booking.models import (
    AppointmentStatus,
    Closure,
    ClosureKind,
    Injunction,
    PriorityRight,
    PriorityRightSource,
    Slot,
)
from booking.services import appointment_book, appointment_cancel
from booking.services.closures import closure_create, closure_lift
from tests import factories
from tests.helpers.dashboard import _searched, appointment_at, at, dashboard_world, slot_at

pytestmark = pytest.mark.django_db


def _this_week():
    return monday(timezone.localdate())


def _past_closure(agent, slot, appointment):
    """What ``closure_create`` leaves for ``slot`` had it run before the slot
    (it refuses slots that have started): the closure, the person's right, the
    appointment cancelled by staff after the right, the slot closed."""
    closure = Closure.objects.create(
        site=slot.site,
        procedure=slot.procedure,
        starts_at=slot.starts_at - timedelta(hours=1),
        ends_at=slot.starts_at + timedelta(hours=1),
        kind=ClosureKind.STRIKE,
        reason="Grève",
        created_by=agent,
        created_at=slot.starts_at - timedelta(days=3),
    )
    granted = slot.starts_at - timedelta(days=3)
    PriorityRight.objects.create(
        closure=closure,
        applicant=appointment.applicant,
        procedure=slot.procedure,
        granted_at=granted,
        valid_until=granted + timedelta(days=30),
        source=PriorityRightSource.CLOSURE,
    )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_by = agent
    appointment.cancelled_at = granted + timedelta(seconds=1)
    appointment.save()
    Slot.objects.filter(pk=slot.pk).update(
        closure=closure,
        capacity_before_closure=slot.capacity,
        capacity=slot.booked - 1,
        booked=slot.booked - 1,
    )


@pytest.fixture
def busy(agent, site, procedure):
    """``dashboard_world`` plus a second procedure and three more past weeks at
    both sites, with waits of many lengths and a closure."""
    world = dashboard_world(agent=agent, site=site, procedure=procedure)
    second = factories.ProcedureFactory()
    this_week = _this_week()
    n = 0
    for weeks_ago in (2, 3, 4):
        week = this_week - timedelta(weeks=weeks_ago)
        for where in (site, world.other_site):
            for what in (procedure, second):
                n += 1
                slot = slot_at(where, what, at(week + timedelta(days=n % 5), 9), 5, 4)
                for k in range(4):
                    status = (AppointmentStatus.DONE, AppointmentStatus.NO_SHOW)[(n + k) % 2]
                    made = appointment_at(slot, status, created_at=at(week - timedelta(days=9)))
                    if (n + k) % 3:
                        _searched(made, (n * 7 + k * 3) % 23 + 0.25 * k)
                if weeks_ago == 3 and where == site:
                    _past_closure(agent, slot, made)
    world.second = second
    return world


def _figures(dashboard) -> dict:
    tables = {
        "weekly": dashboard.weekly,
        "pairs": dashboard.pairs,
        "detail": dashboard.detail,
        "total": [dashboard.total],
    }
    return {
        name: [
            (row.site and row.site.pk, row.procedure and row.procedure.pk, row.week, row.values)
            for row in rows
        ]
        for name, rows in tables.items()
    }


def _scopes(world, supervisor):
    return [
        {"user": supervisor, "period": "past", "weeks": 6},
        {"user": supervisor, "period": "both", "weeks": 5},
        {"user": supervisor, "site": "other", "weeks": 4},
        {"user": supervisor, "procedure": world.second.slug, "weeks": 6},
        {"user": world.agent, "period": "past", "weeks": 6},
    ]


def test_the_figures_read_from_the_table_equal_the_live_ones(busy, supervisor):
    live = [dashboard_build(dashboard_scope(**kwargs)) for kwargs in _scopes(busy, supervisor)]
    assert not DashboardWeekComputed.objects.exists()

    dashboard_weeks_refresh(dashboard_weeks_due())
    kept = [dashboard_build(dashboard_scope(**kwargs)) for kwargs in _scopes(busy, supervisor)]

    for before, after in zip(live, kept, strict=True):
        assert _figures(after) == _figures(before)
    total = kept[0].total.values
    assert total["waits_measured"] > 10
    assert total["median_days_to_booking"] is not None
    assert total["cancelled_by_closure"] == 2  # one a site and procedure, two procedures
    assert total["closed_seats"] == 2 * (5 - 3)


def test_a_past_week_kept_is_read_from_the_table_not_recomputed(busy, supervisor):
    dashboard_weeks_refresh(dashboard_weeks_due())
    scope = dashboard_scope(user=supervisor, period="past", weeks=6)
    before = dashboard_build(scope).total.values["capacity"]
    Slot.objects.filter(site=busy.site).update(capacity=50)

    with CaptureQueriesContext(connection) as queries:
        after = dashboard_build(scope).total.values["capacity"]

    assert after == before  # until the next refresh
    # The kept weeks, the alerts, substitution requests, court orders and the
    # people waiting: no live weeks.
    assert len(queries) == 5
    kept, _detail = stored_detail(scope, scope.weeks)
    assert kept == set(scope.weeks)


def test_a_past_week_not_kept_is_computed_live(busy, supervisor):
    last_week = _this_week() - timedelta(weeks=1)
    dashboard_weeks_refresh([last_week])
    scope = dashboard_scope(user=supervisor, period="past", weeks=6)
    Slot.objects.filter(site=busy.site).update(capacity=50)

    dashboard = dashboard_build(scope)

    weekly = {row.week: row.values for row in dashboard.weekly}
    assert weekly[last_week]["capacity"] == 6 + 5  # kept before the change
    two_weeks_ago = last_week - timedelta(weeks=1)
    assert weekly[two_weeks_ago]["capacity"] == 2 * 50 + 2 * 5  # live


def test_the_refresh_is_idempotent_and_forgets_what_is_gone(busy):
    weeks = dashboard_weeks_due()
    dashboard_weeks_refresh(weeks)
    rows = sorted(DashboardWeek.objects.values_list("site", "procedure", "week", "capacity"))
    dashboard_weeks_refresh(weeks)
    assert sorted(DashboardWeek.objects.values_list("site", "procedure", "week", "capacity")) == (
        rows
    )

    second_rows = DashboardWeek.objects.filter(procedure=busy.second)
    assert second_rows.count() == 6  # 2 sites x 3 weeks
    ahead = timedelta(weeks=6)  # into the coming weeks
    Slot.objects.filter(procedure=busy.second).update(
        starts_at=F("starts_at") + ahead, ends_at=F("ends_at") + ahead
    )
    dashboard_weeks_refresh(weeks)
    assert not second_rows.exists()


def test_the_weeks_due_are_the_last_ones_and_the_missing_ones(busy):
    this_week = _this_week()
    window = [this_week - timedelta(weeks=n) for n in range(1, WEEKS_MAX + 1)]
    assert dashboard_weeks_due() == sorted(window)

    dashboard_weeks_refresh(window)
    assert dashboard_weeks_due() == sorted(window[:REFRESH_WEEKS])
    DashboardWeekComputed.objects.filter(week=window[10]).delete()
    assert dashboard_weeks_due() == sorted([*window[:REFRESH_WEEKS], window[10]])


def test_the_current_and_coming_weeks_are_never_kept(busy):
    this_week = _this_week()
    assert dashboard_weeks_refresh([this_week, this_week + timedelta(weeks=1)]) == 0
    assert not DashboardWeekComputed.objects.exists()


def test_the_hourly_task_and_the_rebuild_command(busy, settings):
    from backoffice.tasks import dashboard_refresh_task

    entry = settings.CELERY_BEAT_SCHEDULE["backoffice-dashboard-refresh"]
    assert entry == {"task": "backoffice.dashboard_refresh", "schedule": 3600.0}
    assert dashboard_refresh_task() == WEEKS_MAX
    DashboardWeekComputed.objects.all().delete()
    call_command("dashboard_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # From the world's oldest slot (four weeks ago) to last week.
    assert DashboardWeekComputed.objects.count() == 4


# --- Closures -------------------------------------------------------------------------


def _book(slot):
    person = factories.ApplicantFactory()
    return appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)


def test_cancellations_by_a_closure_are_counted_apart(agent, site, procedure, supervisor):
    world = dashboard_world(agent=agent, site=site, procedure=procedure)
    day = world.next_week + timedelta(days=3)
    closed = slot_at(site, procedure, at(day, 9), 3, 0)
    other_slot = slot_at(site, procedure, at(day, 15), 2, 0)
    first, second = _book(closed), _book(closed)
    changed_mind = _book(closed)
    appointment_cancel(actor=changed_mind.applicant.user, appointment=changed_mind)
    closure = closure_create(
        actor=agent,
        site=site,
        procedure=procedure,
        starts_at=at(day, 8),
        ends_at=at(day, 12),
        kind=ClosureKind.STRIKE,
        reason="Grève",
    )
    # The same person books again, out of the closure's hours; an agent cancels it.
    elsewhere = appointment_book(
        actor=first.applicant.user, applicant=first.applicant, slot_id=other_slot.pk
    )
    appointment_cancel(actor=agent, appointment=elsewhere)
    # Closures elsewhere are not this agent's.
    far = slot_at(world.other_site, procedure, at(day, 9), 2, 0)
    _book(far)
    closure_create(
        actor=supervisor,
        site=world.other_site,
        starts_at=at(day, 8),
        ends_at=at(day, 12),
        kind=ClosureKind.STRIKE,
        reason="Grève",
    )

    def next_week(user):
        dashboard = dashboard_build(dashboard_scope(user=user, weeks=2))
        return next(row.values for row in dashboard.weekly if row.week == world.next_week)

    figures = next_week(agent)
    assert figures["cancelled_by_closure"] == 2  # first and second, not changed_mind
    assert figures["cancelled_by_person"] == 1
    assert figures["cancelled_by_staff"] == 1  # elsewhere, out of the closure's hours
    assert figures["closed_seats"] == 3  # the 3 seats, none held
    assert next_week(supervisor)["cancelled_by_closure"] == 3
    assert second.pk

    closure_lift(actor=agent, closure=closure)
    figures = next_week(agent)
    assert figures["cancelled_by_closure"] == 2  # they stay cancelled by the closure
    assert figures["closed_seats"] == 0  # reopened


# --- Court orders -----------------------------------------------------------------------


def _order(site, procedure, deadline, appointment=None):
    return Injunction.objects.create(
        court="Tribunal administratif de Montreuil",
        case_number=f"2601{Injunction.objects.count():04d}",
        ordered_on=timezone.localdate() - timedelta(days=20),
        deadline=deadline,
        applicant=appointment.applicant if appointment else factories.ApplicantFactory(),
        procedure=procedure,
        site=site,
        appointment=appointment,
        convoked_at=timezone.now() if appointment else None,
    )


def test_court_orders_open_at_risk_and_overdue_today(agent, site, procedure, supervisor):
    world = dashboard_world(agent=agent, site=site, procedure=procedure)
    today = timezone.localdate()
    risk = settings.INJUNCTION_AT_RISK_DAYS
    _order(site, procedure, today - timedelta(days=1))  # overdue
    _order(site, procedure, today)  # at risk (due today)
    _order(site, procedure, today + timedelta(days=risk))  # at risk, the last day
    _order(site, procedure, today + timedelta(days=risk + 1))  # open
    coming = slot_at(site, procedure, at(world.next_week + timedelta(days=2)), 3, 0)
    _order(site, procedure, today - timedelta(days=3), appointment=_book(coming))  # served
    cancelled = _book(coming)
    appointment_cancel(actor=agent, appointment=cancelled)
    _order(site, procedure, today - timedelta(days=3), appointment=cancelled)  # overdue
    _order(world.other_site, procedure, today - timedelta(days=1))
    _order(world.other_site, procedure, today + timedelta(days=30))

    mine = dashboard_build(dashboard_scope(user=agent))
    assert [row.site for row in mine.current] == [site, None]  # None: substitution
    row = mine.current[0].values
    assert (row["injunctions_open"], row["injunctions_at_risk"], row["injunctions_overdue"]) == (
        1,
        2,
        2,
    )
    total = mine.current_total.values
    assert (total["injunctions_open"], total["injunctions_overdue"]) == (1, 2)

    every = dashboard_build(dashboard_scope(user=supervisor)).current_total.values
    assert (every["injunctions_open"], every["injunctions_overdue"]) == (2, 3)
