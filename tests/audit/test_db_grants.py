"""The runtime role (``manage.py db_grants``) cannot edit, empty or unprotect the
audit trail, and still does the application's work. On the real PostgreSQL,
with a throw-away role."""

from __future__ import annotations

import secrets
from datetime import timedelta

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from audit.management.commands.db_grants import purge_function
from audit.models import AuditAction, AuditEvent
from audit.services import audit_rows_purge
from privacy.services import months_before
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

AUDIT = AuditEvent._meta.db_table
COLUMNS = ", ".join(f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key)


@pytest.fixture
def runtime_role():
    """A LOGIN role of its own, dropped afterwards (roles outlive databases)."""
    name = f"guichet_test_rt_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", [password])
    try:
        yield name, password
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")  # its grants in this database
            cursor.execute(f"DROP ROLE {name}")
            # db_grants' purge function: the rest of the suite purges without it.
            cursor.execute("DROP FUNCTION IF EXISTS audit_purge(timestamptz)")


def _connect(role: str, password: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        # OPTIONS' host: the embedded server's socket folder (core/devdb.py).
        host=db["HOST"] or db["OPTIONS"].get("host") or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=role,
        password=password,
        autocommit=True,
    )


def _refused(runtime: psycopg.Connection, statement: str, *params) -> str:
    with pytest.raises(psycopg.Error) as refused:
        runtime.execute(statement, params or None)
    return refused.value.sqlstate


def test_the_runtime_role_cannot_edit_empty_or_unprotect_the_audit_trail(runtime_role):
    role, password = runtime_role
    recent = AuditEvent.objects.create(action=AuditAction.AUDIT_EXPORTED)
    past_six_months = AuditEvent.objects.create(
        action=AuditAction.AUDIT_EXPORTED, occurred_at=timezone.now() - timedelta(days=220)
    )

    call_command("db_grants", "--runtime-role", role)

    with _connect(role, password) as runtime:
        # What it may do: write rows and read them.
        runtime.execute(
            f"INSERT INTO {AUDIT} ({COLUMNS}) SELECT {COLUMNS} FROM {AUDIT} WHERE id = %s",  # noqa: S608
            [recent.pk],
        )
        assert runtime.execute(f"SELECT count(*) FROM {AUDIT}").fetchone()[0] == 3  # noqa: S608
        # What it may not: change or delete any row, even one the trigger would
        # let go, empty the table, or touch its definition and triggers.
        insufficient = "42501"
        not_owner = "42501"
        assert _refused(runtime, f"UPDATE {AUDIT} SET action = 'x'") == insufficient  # noqa: S608
        assert _refused(runtime, f"DELETE FROM {AUDIT} WHERE id = %s", recent.pk) == insufficient  # noqa: S608
        assert (
            _refused(runtime, f"DELETE FROM {AUDIT} WHERE id = %s", past_six_months.pk)  # noqa: S608
            == insufficient
        )
        assert _refused(runtime, f"TRUNCATE {AUDIT}") == insufficient
        assert _refused(runtime, f"ALTER TABLE {AUDIT} DISABLE TRIGGER ALL") == not_owner
        assert _refused(runtime, f"ALTER TABLE {AUDIT} ADD COLUMN x int") == not_owner
        assert _refused(runtime, f"DROP TRIGGER audit_auditevent_append_only ON {AUDIT}") == (
            not_owner
        )
        assert _refused(runtime, "DROP FUNCTION audit_auditevent_append_only()") == not_owner
        assert _refused(runtime, "DROP FUNCTION audit_purge(timestamptz)") == not_owner
        assert _refused(runtime, f"DROP TABLE {AUDIT}") == not_owner
        # Nor does it rewrite the migration history.
        assert _refused(runtime, "DELETE FROM django_migrations") == insufficient

    assert AuditEvent.objects.filter(pk__in=[recent.pk, past_six_months.pk]).count() == 2
    assert AuditEvent.objects.count() == 3


@override_settings(AUDIT_RETENTION_MONTHS=12)
def test_the_runtime_role_purges_only_what_is_past_retention(runtime_role):
    role, password = runtime_role
    now = timezone.now()
    young = AuditEvent.objects.create(
        action=AuditAction.AUDIT_EXPORTED, occurred_at=now - timedelta(days=220)
    )
    past_retention = AuditEvent.objects.create(
        action=AuditAction.AUDIT_EXPORTED, occurred_at=now - timedelta(days=400)
    )
    call_command("db_grants", "--runtime-role", role)

    with _connect(role, password) as runtime:
        # A cutoff inside the retention (here, the trigger's six months) is refused...
        assert _refused(runtime, "SELECT audit_purge(%s)", months_before(now, 6)) == "42501"
        # ...the retention's own cutoff deletes what is older, nothing else.
        purged = runtime.execute("SELECT audit_purge(%s)", [months_before(now, 12)])
        assert purged.fetchone()[0] == 1

    assert AuditEvent.objects.filter(pk=young.pk).exists()
    assert not AuditEvent.objects.filter(pk=past_retention.pk).exists()


@override_settings(AUDIT_RETENTION_MONTHS=12)
def test_the_daily_purge_goes_through_the_function_once_granted(runtime_role):
    role, _password = runtime_role
    now = timezone.now()
    AuditEvent.objects.create(
        action=AuditAction.AUDIT_EXPORTED, occurred_at=now - timedelta(days=400)
    )
    call_command("db_grants", "--runtime-role", role)
    with connection.cursor() as cursor:
        # The function, not a DELETE of the caller's: one granted for a longer
        # retention than the one asked now refuses the purge.
        cursor.execute(purge_function("public", 24))

    with pytest.raises(DatabaseError, match="kept 24 months"), transaction.atomic():
        audit_rows_purge(cutoff=months_before(now, 12))

    assert audit_rows_purge(cutoff=months_before(now, 25)) == 0
    assert AuditEvent.objects.filter(occurred_at__lt=now - timedelta(days=399)).count() == 1


def test_the_runtime_role_still_does_the_application_work(runtime_role):
    role, password = runtime_role
    site = factories.SiteFactory()
    call_command("db_grants", "--runtime-role", role)
    table = site._meta.db_table

    with _connect(role, password) as runtime:
        runtime.execute(f"UPDATE {table} SET city = 'Pantin' WHERE id = %s", [site.pk])  # noqa: S608
        runtime.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('k1', 'data', now() + interval '1 hour')"
        )
        runtime.execute("DELETE FROM django_session WHERE session_key = 'k1'")
        assert runtime.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0

    site.refresh_from_db()
    assert site.city == "Pantin"


def test_the_command_refuses_the_owner_and_unknown_roles():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]

    with pytest.raises(CommandError, match=r"owns the tables|superuser"):
        call_command("db_grants", "--runtime-role", owner)
    with pytest.raises(CommandError, match="No role"):
        call_command("db_grants", "--runtime-role", "guichet_no_such_role")
    with pytest.raises(CommandError, match="role name"):
        call_command("db_grants", "--runtime-role", 'x"; DROP TABLE audit_auditevent; --')


def test_the_command_refuses_a_role_that_could_escape_its_grants(runtime_role):
    role, _password = runtime_role
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER ROLE {role} CREATEROLE")
    with pytest.raises(CommandError, match="CREATEROLE"):
        call_command("db_grants", "--runtime-role", role)

    with connection.cursor() as cursor:
        cursor.execute(f"ALTER ROLE {role} NOCREATEROLE")
        cursor.execute(f"GRANT pg_write_all_data TO {role}")
    try:
        with pytest.raises(CommandError, match="pg_write_all_data"):
            call_command("db_grants", "--runtime-role", role)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REVOKE pg_write_all_data FROM {role}")


def test_the_command_creates_the_role_from_a_password_in_the_environment(monkeypatch):
    name = f"guichet_test_rt_{secrets.token_hex(4)}"
    monkeypatch.setenv("GUICHET_TEST_RUNTIME_PASSWORD", "first-password")
    try:
        call_command(
            "db_grants", "--runtime-role", name, "--password-env", "GUICHET_TEST_RUNTIME_PASSWORD"
        )
        first = _stored_password(name)
        monkeypatch.setenv("GUICHET_TEST_RUNTIME_PASSWORD", "second-password")
        call_command(
            "db_grants", "--runtime-role", name, "--password-env", "GUICHET_TEST_RUNTIME_PASSWORD"
        )

        # A hash (SCRAM), set again by the second run; and the role logs in.
        second = _stored_password(name)
        assert first.startswith("SCRAM-SHA-256$") and second != first
        with _connect(name, "second-password") as runtime:
            assert _refused(runtime, f"TRUNCATE {AUDIT}") == "42501"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


def _stored_password(role: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [role])
        return cursor.fetchone()[0]
