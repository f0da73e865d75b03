"""Capacity put online: publications and their slots, one per time and pool."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models.places import Procedure, Site


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
    # Closed (``booking.services.closure_create``): the capacity is what stays
    # booked, so the conditional UPDATE refuses any booking; lifting gives back
    # ``capacity_before_closure``.
    closure = models.ForeignKey(
        "booking.Closure",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("closure"),
    )
    capacity_before_closure = models.PositiveSmallIntegerField(null=True, blank=True)

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
