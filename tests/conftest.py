from __future__ import annotations

import os

import pytest

from tests import factories


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail fast, and say how to fix it, when PostgreSQL is not reachable."""
    import psycopg
    from django.db import connection

    from core import devdb

    # Django's own parameters (a socket folder in OPTIONS' host included), minus its
    # adapters and cursor class.
    params = connection.get_connection_params()
    address = {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)}
    try:
        psycopg.connect(**address, dbname="postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"The test suite needs PostgreSQL at DATABASE_URL={os.environ.get('DATABASE_URL')}.\n"
            "Without DATABASE_URL it uses the machine's server (TEST_SYSTEM_DATABASE_URL, "
            "127.0.0.1:5432 by default) when it answers, else the embedded one: "
            "`make test` starts it, or `python manage.py devdb start` "
            f"(data in {devdb.DATA}). Or start the machine's server: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            f"Error: {exc}",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _appointment_ids_drawn_afresh():
    """Each test's first booking draws a block of appointment ids
    (``booking.statements.appointment_id_next``, one query every
    ``ID_BLOCK`` bookings of a process): a query bound then counts the same
    whatever the tests run before in the process left of the block. Without it,
    a bound set where the block had ids left failed one time in twenty."""
    from booking import statements

    statements._ids.clear()


@pytest.fixture(autouse=True)
def _join_seat_checks_afresh():
    """Each test's first join asks whether seats wait to be offered: the
    process's memory of when it last asked (a second) does not carry over."""
    from allocation.services.scheduling import join_checks_forget

    join_checks_forget()


@pytest.fixture(autouse=True)
def _slot_times_from_the_start():
    """Each test's slots start 3 days from now again: the factory's sequence
    would otherwise carry over from test to test and, a few thousand slots
    into a run, push them past the booking horizon (where they answer as missing)."""
    factories.SlotFactory.reset_sequence()


@pytest.fixture
def site(db):
    return factories.SiteFactory()


@pytest.fixture
def procedure(db):
    return factories.ProcedureFactory()


@pytest.fixture
def applicant(db):
    return factories.ApplicantFactory()


@pytest.fixture
def applicant_user(applicant):
    return applicant.user


@pytest.fixture
def other_applicant(db):
    return factories.ApplicantFactory()


@pytest.fixture
def agent(site):
    return factories.AgentFactory(sites=[site])


@pytest.fixture
def other_agent(db):
    return factories.AgentFactory(sites=[factories.SiteFactory()])


@pytest.fixture
def mediator(db):
    return factories.MediatorFactory()


@pytest.fixture
def supervisor(db):
    return factories.UserFactory(role="supervisor")


@pytest.fixture
def persona_world(db):
    """The persona world of ``tests/personas.py``: who is who, for the tests of who may do what."""
    from tests.personas import build_world

    return build_world()


@pytest.fixture
def slot(site, procedure):
    return factories.SlotFactory(site=site, procedure=procedure)


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's, logged in as a real administrator's login ends: with the
    second factor passed (mandatory for staff, ``accounts.middleware``)."""
    from tests.auth import login

    return login(client, admin_user)


@pytest.fixture
def noon(monkeypatch):
    """The clock at today's noon, local time, still ticking
    (``tests.helpers.counter.clock_at_noon``): for a test that needs a slot of
    today already over and another still to come."""
    from tests.helpers.counter import clock_at_noon

    clock_at_noon(monkeypatch)
