"""The identity on an appointment can never be edited: the database says so.

A trigger refuses any UPDATE that changes one of the identity columns copied
onto ``booking_appointment`` at booking, whatever code issues it.
"""

from django.db import migrations

COLUMNS = (
    "identity_key",
    "surname",
    "given_names",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
    "applicant_id",
)

PG_FORWARD = """
CREATE OR REPLACE FUNCTION booking_appointment_identity_immutable() RETURNS trigger AS $$
BEGIN
    IF {changed} THEN
        RAISE EXCEPTION 'the identity on an appointment cannot be edited'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER booking_appointment_identity_immutable
    BEFORE UPDATE ON booking_appointment
    FOR EACH ROW EXECUTE FUNCTION booking_appointment_identity_immutable();
""".format(changed=" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS))

PG_BACKWARD = """
DROP TRIGGER IF EXISTS booking_appointment_identity_immutable ON booking_appointment;
DROP FUNCTION IF EXISTS booking_appointment_identity_immutable();
"""

SQLITE_FORWARD = """
CREATE TRIGGER booking_appointment_identity_immutable
BEFORE UPDATE ON booking_appointment
WHEN {changed}
BEGIN
    SELECT RAISE(ABORT, 'the identity on an appointment cannot be edited');
END;
""".format(changed=" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS))

SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS booking_appointment_identity_immutable;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)
    else:  # pragma: no cover
        raise RuntimeError(f"Guichet supports PostgreSQL and SQLite, not {vendor}.")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(PG_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
