"""Appointments: a seat of a slot, held by the identity copied onto it."""

from __future__ import annotations

import re
import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from booking.identity import IDENTITY_FIELDS
from booking.models.capacity import Slot
from booking.models.identities import Applicant
from booking.models.places import DocumentType, Procedure


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("No-show")
    DONE = "done", _("Done")
    # Its day is over and the counter recorded nothing (no check-in, no no-show):
    # closed within the hour after its day by ``appointments_close_past``.
    ENDED = "ended", _("Past")


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)

# What the identity copied onto an appointment becomes once erased; the trigger
# of migration 0005 lets through no other change to it (nationality and
# document type stay: statistics without a person).
ERASED_TEXT = "-"
ERASED_BIRTH_DATE = date(1900, 1, 1)
ERASED_KEY_PREFIX = "erased:"  # followed by the appointment's id: no two alike


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    API = "api", _("API")
    MEDIATION = "mediation", _("Access point")
    AGENT = "agent", _("Prefecture agent")


# No 0/O, 1/I/L: a reference is read aloud at a counter and typed on a phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


# What a reference typed or in a URL may be: ASCII letters and digits (no NUL byte,
# which PostgreSQL refuses in a query: a 500), a little longer than ours.
_REFERENCE_TEXT = re.compile(r"[A-Z0-9]{1,16}")


def reference_parse(value: str) -> str | None:
    """``value`` in upper case without surrounding spaces, or ``None`` when it
    cannot be a reference (the caller answers as for one that does not exist)."""
    text = value.strip().upper()
    return text if _REFERENCE_TEXT.fullmatch(text) else None


IDENTITY_SNAPSHOT_FIELDS = ("identity_key", *IDENTITY_FIELDS)


class Appointment(models.Model):
    """A booked appointment. It belongs to the identity copied onto it.

    The identity columns are a snapshot taken at booking; the database refuses
    any change to them (trigger in migration 0002), except one: once past
    retention and no longer active, their erasure to the markers below, for
    good (migration 0005, ``booking.services.appointment_identities_erase``).
    The partial unique
    constraint allows one active appointment per identity and procedure.
    """

    reference = models.CharField(_("reference"), max_length=REFERENCE_LENGTH, unique=True)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="appointments")
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="appointments")
    identity_key = models.CharField(max_length=64, editable=False)
    surname = models.CharField(_("surname"), max_length=150, editable=False)
    given_names = models.CharField(_("first names"), max_length=150, editable=False)
    birth_date = models.DateField(_("date of birth"), editable=False)
    nationality = CountryField(_("nationality"), editable=False)
    document_type = models.CharField(
        _("identity document"), max_length=8, choices=DocumentType, editable=False
    )
    document_number = models.CharField(_("document number"), max_length=20, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=AppointmentStatus, default=AppointmentStatus.BOOKED
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="appointments_booked",
        verbose_name=_("booked by"),
    )
    booked_by_role = models.CharField(_("booked by (role)"), max_length=16)
    # The access point whose mediator booked it (``mediation`` sets it inside the
    # booking): its mediators keep seeing it, wherever the mediator goes later.
    access_point = models.ForeignKey(
        "mediation.AccessPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("booked at access point"),
    )
    # Booked by a mediator at a moment outside their point's opening periods:
    # allowed, and shown in the abuse report.
    outside_opening_hours = models.BooleanField(_("booked outside opening hours"), default=False)
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    identity_erased_at = models.DateTimeField(
        _("identity erased at"), null=True, blank=True, editable=False
    )
    # What the counter records (``booking.services.counter``): the person came
    # with the document of the identity booked (or a supervisor overrode it),
    # then was seen.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    done_at = models.DateTimeField(_("seen at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["identity_key", "procedure"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_appointment_per_person_and_procedure",
            ),
            # The same record, whatever its identity key: after an agent corrects a
            # document number the record's key changes but its active appointment
            # keeps the key it was booked under; this still holds one per procedure.
            models.UniqueConstraint(
                fields=["applicant", "procedure"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_appointment_per_applicant_and_procedure",
            ),
        ]
        indexes = [
            models.Index(fields=["applicant", "status"]),
            # Did the counter work on a site-day? (``appointments_close_past``)
            models.Index(
                fields=["checked_in_at"],
                condition=Q(checked_in_at__isnull=False),
                name="appointment_checked_in_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
