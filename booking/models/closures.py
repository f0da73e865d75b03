"""Capacity taken back: closures of a slot, a day or a range, and the priority
right they give the people whose appointments they cancelled."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models.places import Procedure, Site


class ClosureKind(models.TextChoices):
    STRIKE = "strike", _("Strike")
    HOLIDAY = "holiday", _("Public holiday")
    OUTAGE = "outage", _("Outage")
    OTHER = "other", _("Other")


class Closure(models.Model):
    """An agent closing a site's slots from ``starts_at`` to ``ends_at`` (for one
    procedure, or every procedure of the site when ``procedure`` is empty).

    Nothing is deleted: each closed slot points here and keeps the capacity it
    had (``Slot.capacity_before_closure``) to get it back when lifted. The counts
    are what the closure did, written once its slots are closed
    (``booking.services.closure_create``).
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="closures", verbose_name=_("site")
    )
    procedure = models.ForeignKey(
        Procedure,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closures",
        verbose_name=_("procedure"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    kind = models.CharField(_("kind"), max_length=10, choices=ClosureKind)
    reason = models.TextField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("closed at"), default=timezone.now)
    slots_closed = models.PositiveIntegerField(_("slots closed"), default=0)
    appointments_cancelled = models.PositiveIntegerField(_("appointments cancelled"), default=0)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lifted by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="closure_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["site", "-created_at"], name="closure_site_idx")]

    def __str__(self) -> str:
        return f"{self.site} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_lifted(self) -> bool:
        return self.lifted_at is not None


class PriorityRightSource(models.TextChoices):
    CLOSURE = "closure", _("Closure by the prefecture")
    COURT_ORDER = "court_order", _("Court order")
    OTHER = "other", _("Other")


class PriorityRight(models.Model):
    """The right of a person to book ``procedure``'s priority pool themselves,
    once, until ``valid_until`` (``booking.rules.priority_right_held``)."""

    # An erased person's right goes with them.
    applicant = models.ForeignKey(
        "booking.Applicant", on_delete=models.CASCADE, related_name="priority_rights"
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="priority_rights"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    source = models.CharField(_("source"), max_length=12, choices=PriorityRightSource)
    closure = models.ForeignKey(
        Closure, null=True, blank=True, on_delete=models.PROTECT, related_name="rights"
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    appointment = models.ForeignKey(
        "booking.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("appointment booked with it"),
    )

    class Meta:
        ordering = ["valid_until", "pk"]
        verbose_name = _("priority right")
        verbose_name_plural = _("priority rights")
        constraints = [
            # A closure gives a person one right per procedure, however often it runs.
            models.UniqueConstraint(
                fields=["closure", "applicant", "procedure"],
                condition=Q(closure__isnull=False),
                name="priority_right_once_per_closure",
            ),
        ]
        indexes = [
            models.Index(
                fields=["applicant", "procedure", "valid_until"], name="priority_right_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.procedure_id} {self.valid_until:%Y-%m-%d}"
