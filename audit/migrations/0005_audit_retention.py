"""The audit trail may lose its rows once they are past retention, and only then.

Migration 0002's trigger refuses every UPDATE and DELETE. An audit row holds
personal data (an e-mail as the actor, an address, identity fields before and
after a correction), which must not be kept for ever: the retention purge
deletes rows older than ``AUDIT_RETENTION_MONTHS``. The trigger now lets a
DELETE through for a row older than six months (``MINIMUM``, the shortest
retention the settings accept) and still refuses every UPDATE and every DELETE
of a younger row: what was done recently cannot be hidden, whatever code
issues the statement.

Also the actions of the nightly bookkeeping: past appointments closed, their
identities anonymised, audit rows deleted.
"""

from django.db import migrations, models

MINIMUM = "6 months"

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '{MINIMUM}' THEN
        RETURN OLD;  -- past the shortest retention: the purge deletes it
    END IF;
    RAISE EXCEPTION 'the audit trail cannot be edited or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

# Migration 0002's function, as it was (its trigger stays in place).
PG_BACKWARD = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail cannot be edited or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

class Migration(migrations.Migration):
    dependencies = [("audit", "0004_admin_changed_action")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("appointment.booked", "Appointment booked"),
                    ("appointment.cancelled", "Appointment cancelled"),
                    ("appointment.rescheduled", "Appointment rescheduled"),
                    ("slots.published", "Capacity published"),
                    ("appointments.closed", "Past appointments closed"),
                    ("appointments.anonymised", "Appointments past retention anonymised"),
                    ("identity.recorded", "Identity recorded"),
                    ("identity.corrected", "Identity corrected"),
                    ("identity.claim_refused", "Identity claim refused"),
                    ("identity.erased", "Identity erased"),
                    ("account.created", "Account created"),
                    ("account.deleted", "Account deleted"),
                    ("account.role_changed", "Role or attachment changed"),
                    ("account.deactivated", "Account deactivated"),
                    ("account.reactivated", "Account reactivated"),
                    ("account.unlocked", "Login lock-out lifted"),
                    ("account.contact_changed", "E-mail or phone changed"),
                    ("account.password_changed", "Password changed"),
                    ("otp.device_confirmed", "Two-factor device confirmed"),
                    ("otp.device_removed", "Two-factor device removed"),
                    ("token.created", "API token issued"),
                    ("token.revoked", "API token revoked"),
                    ("personal_data.exported", "Personal data exported"),
                    ("admin.changed", "Changed in the admin"),
                    ("audit.exported", "Audit trail exported"),
                    ("audit.purged", "Audit rows past retention deleted"),
                ],
                max_length=40,
                verbose_name="what",
            ),
        ),
        migrations.RunSQL([PG_FORWARD], [PG_BACKWARD], elidable=False),
    ]
