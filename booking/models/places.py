"""Where and what: sites, procedures and how far ahead they are released."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
