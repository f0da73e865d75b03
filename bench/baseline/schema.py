"""The baseline's own table, created by the benchmarks that use it (not a migration:
the bench database is made by the real app's migrations)."""

OUTBOX_DDL = """
CREATE TABLE IF NOT EXISTS baseline_outbox (
    id bigserial PRIMARY KEY,
    appointment_id bigint NOT NULL REFERENCES booking_appointment (id),
    kind varchar(32) NOT NULL,
    payload jsonb NOT NULL,
    status varchar(12) NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL
)
"""
