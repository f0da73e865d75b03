"""Unmanaged views of the real tables, with only the columns the baseline
touches, and the baseline's own outbox table.

The real app will write an outbox row in every booking transaction
(notifications); the baseline does too, into a table of its own (``schema.OUTBOX_DDL``), so that the
comparison stays honest as the real booking path grows.
"""

from django.db import models


class Slot(models.Model):
    site_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    pool = models.CharField(max_length=10)
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "booking_slot"


class Applicant(models.Model):
    user_id = models.BigIntegerField(null=True)
    identity_key = models.CharField(max_length=64)
    surname = models.CharField(max_length=150)
    given_names = models.CharField(max_length=150)
    birth_date = models.DateField()
    nationality = models.CharField(max_length=2)
    document_type = models.CharField(max_length=8)
    document_number = models.CharField(max_length=20)

    class Meta:
        managed = False
        db_table = "booking_applicant"


class Appointment(models.Model):
    reference = models.CharField(max_length=8)
    slot_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    applicant_id = models.BigIntegerField()
    identity_key = models.CharField(max_length=64)
    surname = models.CharField(max_length=150)
    given_names = models.CharField(max_length=150)
    birth_date = models.DateField()
    nationality = models.CharField(max_length=2)
    document_type = models.CharField(max_length=8)
    document_number = models.CharField(max_length=20)
    status = models.CharField(max_length=12)
    channel = models.CharField(max_length=10)
    booked_by_id = models.BigIntegerField(null=True)
    booked_by_role = models.CharField(max_length=16)
    reschedule_count = models.PositiveSmallIntegerField()
    outside_opening_hours = models.BooleanField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "booking_appointment"


class Outbox(models.Model):
    appointment_id = models.BigIntegerField()
    kind = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(max_length=12, default="pending")
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "baseline_outbox"
