"""The identity on an appointment may be erased once, past retention, and
then never changes again.

Migration 0002's trigger refuses any change to the identity copied onto an
appointment, so that a booking can never pass to another person. Personal data
must not outlive its retention (``RETENTION_MONTHS`` after the appointment),
so the trigger now lets exactly one change through: setting
``identity_erased_at`` (from empty) while the identity becomes the erased
markers of ``booking.models`` (the key ``erased:<id>``, ``-`` for the names
and the document number, 1 January 1900 for the birth date), the nationality,
the document type and the applicant staying as they were. An erased identity
names nobody, so it cannot move a booking to anyone; and once erased, nothing
of it changes again, ``identity_erased_at`` included.

Only an appointment that is no longer active (not booked nor checked in) may
be erased, and an erased one never becomes active again: the partial unique
index on the identity key (one active appointment per person and procedure)
keeps holding for every active appointment.
"""

import importlib

from django.db import migrations, models

initial = importlib.import_module("booking.migrations.0002_appointment_identity_immutable")

COLUMNS = initial.COLUMNS

# Kept in step with booking.models.ERASED_* (a migration must not import the
# models' current values): tests/booking/test_constraints_identity.py checks both agree.
ERASED_TEXT = "-"
ERASED_BIRTH_DATE = "1900-01-01"
ERASED_KEY_PREFIX = "erased:"
# booking.models.ACTIVE_STATUSES when this was written.
ACTIVE = "('booked', 'checked_in')"

PG_FORWARD = """
CREATE OR REPLACE FUNCTION booking_appointment_identity_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.identity_erased_at IS NULL AND NEW.identity_erased_at IS NOT NULL
        AND OLD.status NOT IN {active} AND NEW.status NOT IN {active}
        AND NEW.identity_key = '{prefix}' || OLD.id
        AND NEW.surname = '{text}' AND NEW.given_names = '{text}'
        AND NEW.birth_date = DATE '{birth_date}' AND NEW.document_number = '{text}'
        AND NEW.nationality IS NOT DISTINCT FROM OLD.nationality
        AND NEW.document_type IS NOT DISTINCT FROM OLD.document_type
        AND NEW.applicant_id IS NOT DISTINCT FROM OLD.applicant_id
    THEN
        RETURN NEW;  -- the erasure, once
    END IF;
    IF {changed} OR OLD.identity_erased_at IS DISTINCT FROM NEW.identity_erased_at
        OR (NEW.identity_erased_at IS NOT NULL AND NEW.status IN {active})
    THEN
        RAISE EXCEPTION 'the identity on an appointment cannot be edited'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""".format(
    active=ACTIVE,
    prefix=ERASED_KEY_PREFIX,
    text=ERASED_TEXT,
    birth_date=ERASED_BIRTH_DATE,
    changed=" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS),
)

# The function of migration 0002, as it was (its trigger stays in place).
PG_BACKWARD = """
CREATE OR REPLACE FUNCTION booking_appointment_identity_immutable() RETURNS trigger AS $$
BEGIN
    IF {changed} THEN
        RAISE EXCEPTION 'the identity on an appointment cannot be edited'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""".format(changed=" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS))

class Migration(migrations.Migration):
    dependencies = [("booking", "0004_appointment_one_active_per_applicant")]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="identity_erased_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="identity erased at"
            ),
        ),
        migrations.RunSQL([PG_FORWARD], [PG_BACKWARD], elidable=False),
    ]
