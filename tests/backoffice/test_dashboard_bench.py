"""A smoke test of the dashboard's benchmark and of the busy year's seed, at a
tiny scale (the real run: ``bash bench/dashboard/run.sh``, not in the suite)."""

from __future__ import annotations

import pytest

from backoffice.dashboard import dashboard_build, dashboard_scope
from bench.dashboard.__main__ import measure, report
from booking.models import Appointment, Slot
from demo.dashboard import AlreadySeeded, Scale, busy_year_seed
from tests import factories

pytestmark = pytest.mark.django_db

TINY = Scale(sites=1, procedures=2, past_weeks=2, coming_weeks=1, people=300)


def test_the_busy_year_seeds_consistent_rows_and_the_bench_runs(supervisor, capsys):
    factories.ApplicantFactory()  # an account, for the cancellations by the person

    seeded = busy_year_seed(scale=TINY)

    assert seeded.slots == 1 * 2 * 3 * 5 * 16
    assert seeded.appointments == Appointment.objects.count() > 0
    # Every slot's count is its appointments that were not cancelled.
    for slot in Slot.objects.filter(site__slug__startswith="busy-site-"):
        held = slot.appointments.exclude(status="cancelled").count()
        assert slot.booked == held <= slot.capacity
    figures = dashboard_build(dashboard_scope(user=supervisor, weeks=2)).total.values
    assert 0 < figures["booked"] <= figures["capacity"]
    assert figures["sms_sent"] > 0
    with pytest.raises(AlreadySeeded):
        busy_year_seed(scale=TINY)

    timings = measure(supervisor, iterations=1, tiny=True)
    assert report(timings) in (True, False)
    assert set(timings) == {
        "baseline (accounts:me)",
        "dashboard page",
        "dashboard API, JSON",
        "dashboard API, CSV",
    }
    assert "dashboard page" in capsys.readouterr().out
