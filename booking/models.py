from __future__ import annotations

import re
import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from booking.identity import (
    IDENTITY_FIELDS,
    identity_key,
    normalize_document_number,
    normalize_name,
)


class Site(models.Model):
    """A place that receives people: a préfecture or sous-préfecture."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    access_info = models.TextField(_("how to get there"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.postcode} {self.city}"


class DocumentType(models.TextChoices):
    AGDREF = "agdref", _("Foreigner number (AGDREF)")
    PASSPORT = "passport", _("Passport")


class RequiredDocument(models.TextChoices):
    AGDREF = "agdref", _("Foreigner number (AGDREF)")
    PASSPORT = "passport", _("Passport")
    EITHER = "either", _("Foreigner number or passport")


class Procedure(models.Model):
    """What an appointment is for: a first residence permit, a renewal..."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=20)
    documents_to_bring = models.TextField(
        _("documents to bring"), blank=True, help_text=_("One document per line.")
    )
    required_document = models.CharField(
        _("identity document required"),
        max_length=8,
        choices=RequiredDocument,
        default=RequiredDocument.EITHER,
    )
    self_booking = models.BooleanField(
        _("applicants may book it themselves"),
        default=True,
        help_text=_("Otherwise only staff (mediators, agents) book it."),
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"), default=60, help_text=_("How far ahead one may book.")
    )
    cutoff_hours = models.PositiveSmallIntegerField(
        _("booking cut-off (hours)"),
        default=2,
        help_text=_(
            "How long before the appointment online booking closes (cancelling stays "
            "open until it starts, so the seat can serve someone else)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return self.name

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents_to_bring.splitlines() if line.strip()]

    def accepts(self, document_type: str) -> bool:
        return self.required_document in (RequiredDocument.EITHER, document_type)


class Horizon(models.Model):
    """How far ahead a procedure's slots are released, and when that next moves.

    Slots starting before ``released_until`` are within the booking horizon.
    Once a day, at ``next_release_at`` (a moment drawn at random within the
    release hours, per procedure and day), the next day's slots are released:
    from then on the horizon ends at ``next_released_until``. The moment stays
    on the server: nothing shows it before it has passed
    (``booking.horizon``, ``booking.rules``).
    """

    procedure = models.OneToOneField(
        Procedure, primary_key=True, on_delete=models.CASCADE, related_name="horizon"
    )
    horizon_days = models.PositiveSmallIntegerField()  # the procedure's, when drawn
    released_until = models.DateTimeField()
    next_release_at = models.DateTimeField()
    next_released_until = models.DateTimeField()

    class Meta:
        verbose_name = _("booking horizon")
        verbose_name_plural = _("booking horizons")

    def __str__(self) -> str:
        return str(self.procedure_id)


class Applicant(models.Model):
    """A person's identity, separate from any account.

    A mediator registers walk-ins who have no account (``user`` is empty).
    The normalised fields and ``identity_key`` are derived on every save.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applicant",
        verbose_name=_("account"),
    )
    # The access point whose mediator registered this walk-in: its mediators may
    # act for the person (accounts.permissions). Empty for self-registration.
    access_point = models.ForeignKey(
        "mediation.AccessPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applicants",
        verbose_name=_("registered at access point"),
    )
    surname = models.CharField(_("surname"), max_length=150)
    given_names = models.CharField(_("first names"), max_length=150)
    birth_date = models.DateField(_("date of birth"))
    nationality = CountryField(_("nationality"))
    document_type = models.CharField(_("identity document"), max_length=8, choices=DocumentType)
    document_number = models.CharField(_("document number"), max_length=20)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="fr")
    surname_normalized = models.CharField(max_length=150, editable=False)
    given_names_normalized = models.CharField(max_length=150, editable=False)
    identity_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        indexes = [models.Index(fields=["surname_normalized", "birth_date"])]

    def __str__(self) -> str:
        return f"{self.surname.upper()} {self.given_names}"

    def save(self, *args, **kwargs) -> None:
        self.derive_identity_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {
                "document_number",
                "surname_normalized",
                "given_names_normalized",
                "identity_key",
            }
            kwargs["update_fields"] = set(update_fields) | derived
        super().save(*args, **kwargs)

    def derive_identity_fields(self) -> None:
        """Compute the normalised fields and the identity key (also for bulk inserts)."""
        self.document_number = normalize_document_number(self.document_number)
        self.surname_normalized = normalize_name(self.surname)
        self.given_names_normalized = normalize_name(self.given_names)
        self.identity_key = identity_key(
            document_type=self.document_type,
            document_number=self.document_number,
            nationality=str(self.nationality),
        )


class Pool(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEDIATION = "mediation", _("Reserved for mediation")
    PRIORITY = "priority", _("Reserved for priority cases")


class Publication(models.Model):
    """One act of an agent putting capacity online: the slots it created."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="publications")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="publications")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    visible_at = models.DateTimeField(_("visible from"))
    date_from = models.DateField()
    date_to = models.DateField()
    parameters = models.JSONField(default=dict)
    slots_created = models.PositiveIntegerField(default=0)
    seats_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.procedure} @ {self.site} {self.date_from} - {self.date_to}"


class Slot(models.Model):
    """A time at a site for a procedure, with ``capacity`` counters in parallel.

    ``booked`` is only ever changed by a conditional UPDATE in
    ``booking.services``; the database refuses ``booked > capacity``.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="slots")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="slots")
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    pool = models.CharField(_("pool"), max_length=10, choices=Pool, default=Pool.PUBLIC)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    published_at = models.DateTimeField(_("visible from"))

    class Meta:
        ordering = ["starts_at", "site_id", "pool"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")),
                name="slot_booked_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["site", "procedure", "pool", "starts_at"], name="slot_unique_per_pool"
            ),
        ]
        indexes = [
            models.Index(
                fields=["procedure", "pool", "starts_at", "site"], name="slot_availability_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure} @ {self.site} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return self.capacity - self.booked


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
        indexes = [models.Index(fields=["applicant", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
