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

class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunSQL([PG_FORWARD], [PG_BACKWARD], elidable=False)]
