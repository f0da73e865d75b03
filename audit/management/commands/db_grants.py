"""Give the role that serves requests what it needs, and no power over the audit trail.

Run as the role that owns the tables (the one that runs ``migrate``), after
every ``migrate``: ``python manage.py db_grants --runtime-role guichet_app``.
The runtime role then reads and writes the application's tables, reads the
migration history, and on the audit trail may only SELECT and INSERT: no
UPDATE, no DELETE, no TRUNCATE, and, not owning the table, no ALTER, DROP or
DISABLE TRIGGER.

The retention purge (``personal_data_purge``, run daily by the worker) deletes
rows past ``AUDIT_RETENTION_MONTHS`` through ``audit_purge(cutoff)``, a
function this command (re)creates as the owner (``SECURITY DEFINER``): it
deletes every row older than ``cutoff`` and refuses a ``cutoff`` younger than
the retention in force when the command ran. The runtime role may call it and
nothing more, so it cannot choose which rows go nor delete them early.
docs/security.md explains the choice.
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from audit.models import AuditEvent

# A plain identifier: it is written into the SQL (quoted, but no odd names at all).
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
TABLE_WRITES = "SELECT, INSERT, UPDATE, DELETE"
AUDIT_RIGHTS = "SELECT, INSERT"
# The one way the runtime role deletes audit rows (audit.services.audit_rows_purge).
PURGE_FUNCTION = "audit_purge(timestamptz)"


def purge_function(schema: str, retention_months: int) -> str:
    """``audit_purge(cutoff)``: delete the audit rows older than ``cutoff``, run
    with the owner's rights; a ``cutoff`` younger than ``retention_months`` is
    refused. Its search path is fixed (a definer's function must not resolve
    names through the caller's)."""
    q = connection.ops.quote_name
    audit = f"{q(schema)}.{q(AuditEvent._meta.db_table)}"
    return f"""
CREATE OR REPLACE FUNCTION {q(schema)}.audit_purge(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    deleted bigint;
BEGIN
    IF cutoff IS NULL OR cutoff > now() - interval '{int(retention_months)} months' THEN
        RAISE EXCEPTION 'audit rows are kept {int(retention_months)} months: cutoff % refused',
            cutoff USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM {audit} WHERE occurred_at < cutoff;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END;
$$"""  # noqa: S608 - quoted names and an int, no input


def grant_statements(role: str, schema: str) -> list[str]:
    """The SQL that sets ``role``'s rights in ``schema`` from scratch (idempotent)."""
    q = connection.ops.quote_name
    function = f"{q(schema)}.{PURGE_FUNCTION}"
    purge = purge_function(schema, settings.AUDIT_RETENTION_MONTHS)
    role, schema = q(role), q(schema)
    audit = q(AuditEvent._meta.db_table)
    migrations = q(MigrationRecorder.Migration._meta.db_table)
    return [
        # From scratch: whatever was granted before (by hand, an older version) goes.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT {TABLE_WRITES} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON {migrations} FROM {role}",
        f"GRANT SELECT ON {migrations} TO {role}",
        f"REVOKE ALL ON {audit} FROM {role}",
        f"GRANT {AUDIT_RIGHTS} ON {audit} TO {role}",
        purge,
        f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {function} TO {role}",
    ]


class Command(BaseCommand):
    help = (
        "Grant the runtime database role read/write on the application's tables and "
        "only SELECT and INSERT on the audit trail (its retention purge through "
        "audit_purge()). Run as the role that owns the tables, after every migrate."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--runtime-role", required=True, help="The role gunicorn and Celery connect as."
        )
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="Create the role if missing (LOGIN), and set its password, from this "
            "environment variable (docker compose's migrate service does).",
        )
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_only",
            help="Print the SQL instead of running it.",
        )

    def handle(
        self,
        *args,
        runtime_role: str,
        password_env: str | None,
        print_only: bool,
        **options,
    ) -> None:
        if not ROLE_NAME.fullmatch(runtime_role):
            raise CommandError(
                f"{runtime_role!r}: use a role name of lower-case letters, digits and _."
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            statements = grant_statements(runtime_role, cursor.fetchone()[0])
        if print_only:
            self.stdout.write(";\n".join(statements) + ";")
            return
        if password_env:
            self._create_or_set_password(runtime_role, password_env)
        self._check_roles(runtime_role)
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            # Rights the grants cannot take away (a predefined role such as
            # pg_write_all_data, a membership given by hand): refuse, undone.
            cursor.execute(
                "SELECT has_table_privilege(%s, %s, 'UPDATE, DELETE, TRUNCATE')",
                [runtime_role, AuditEvent._meta.db_table],
            )
            if cursor.fetchone()[0]:
                raise CommandError(
                    f"{runtime_role!r} may still change or delete audit rows (through a "
                    "role it is a member of, such as pg_write_all_data): revoke that first."
                )
        self.stdout.write(
            f"{runtime_role}: {TABLE_WRITES} on the tables, SELECT on the migration history, "
            f"{AUDIT_RIGHTS} on {AuditEvent._meta.db_table}, and {PURGE_FUNCTION} for rows "
            f"older than {settings.AUDIT_RETENTION_MONTHS} months."
        )

    @staticmethod
    def _create_or_set_password(runtime_role: str, variable: str) -> None:
        password = os.environ.get(variable, "")
        if not password:
            raise CommandError(f"{variable} is empty: the runtime role needs a password.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [runtime_role])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            if verb == "ALTER":
                Command._check_roles(runtime_role)  # never the owner's password
            # Bound on the client (Django's cursors) as a quoted literal: the server
            # sees it in the statement, so a server logging DDL (log_statement)
            # logs it; docs/security.md says so.
            cursor.execute(f"{verb} ROLE {runtime_role} LOGIN PASSWORD %s", [password])

    @staticmethod
    def _check_roles(runtime_role: str) -> None:
        """The runtime role exists and has no power that would make grants moot."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.rolsuper OR r.rolcreaterole OR r.rolbypassrls,"
                " pg_has_role(r.oid, t.tableowner, 'MEMBER'),"
                " current_user = r.rolname"
                " FROM pg_roles r, pg_tables t"
                " WHERE r.rolname = %s AND t.tablename = %s AND t.schemaname = current_schema()",
                [runtime_role, AuditEvent._meta.db_table],
            )
            row = cursor.fetchone()
        if row is None:
            raise CommandError(
                f"No role {runtime_role!r} (or no audit table: run migrate first). Create it "
                "first: CREATE ROLE ... LOGIN PASSWORD '...'."
            )
        superuser, owner, itself = row
        if itself or owner:
            raise CommandError(
                f"{runtime_role!r} owns the tables (or is a member of their owner): it could "
                "disable the audit trail's trigger. Serve requests as another role."
            )
        if superuser:
            raise CommandError(
                f"{runtime_role!r} is a superuser or may create roles (CREATEROLE) or "
                "bypass row security: grants cannot restrict it."
            )
