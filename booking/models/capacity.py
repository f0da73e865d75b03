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
    # The public capacity of a procedure given out by its waiting list
    # (``AllocationMode.QUEUE``): nobody books it directly, every seat goes to
    # the list by offers (``allocation``). No role has this pool: its slots
    # answer as missing to every direct request.
    QUEUE = "queue", _("Waiting list")


class AllocationMode(models.TextChoices):
    # First come, first served: the public pool, with the new-slot alerts.
    OPEN = "open", _("First come, first served")
    # The public capacity goes to the waiting list, offered in its order.
    QUEUE = "queue", _("Waiting list")


class AllocationPolicy(models.Model):
    """How a procedure's public capacity is given out: for every site
    (``site`` empty) or for one site, which then overrides the procedure's.
    No row: ``open``. Set by supervisors (``booking.services.allocation_mode_set``),
    read by the rulebook (``booking.rules.allocation_mode``)."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="allocation_policies"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="allocation_policies"
    )
    mode = models.CharField(_("allocation"), max_length=5, choices=AllocationMode)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation mode")
        verbose_name_plural = _("allocation modes")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "site"], name="allocation_policy_per_site"
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(site__isnull=True),
                name="allocation_policy_per_procedure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id}/{self.site_id or '*'} {self.mode}"


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

    ``booked`` and ``held`` are only ever changed by conditional UPDATEs in
    the services; the database refuses ``booked + held > capacity``. A held
    seat is taken but not booked: offered to someone on the waiting list
    until they answer (``allocation.Offer``), or a freed seat not shown again
    yet (``booking.SeatRelease``). Nobody else sees or books it.
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
    held = models.PositiveSmallIntegerField(_("held"), default=0, db_default=0)
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
                condition=Q(booked__gte=0)
                & Q(held__gte=0)
                & Q(capacity__gte=F("booked") + F("held")),
                name="slot_taken_within_capacity",
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
        return self.capacity - self.booked - self.held


class SeatRelease(models.Model):
    """A seat freed in an ``open`` procedure, held out of sight until
    ``release_at`` (drawn at random within ``FREED_SEAT_DELAY_MAX_MINUTES``):
    whoever cancels at an agreed second cannot tell a buyer when it comes
    back. Released (``held`` minus one) by ``booking.services.seats_release_due``."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="releases")
    release_at = models.DateTimeField(_("shown again at"))
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(_("shown again"), null=True, blank=True)

    class Meta:
        verbose_name = _("freed seat held back")
        verbose_name_plural = _("freed seats held back")
        indexes = [
            models.Index(
                fields=["release_at"],
                condition=Q(released_at__isnull=True),
                name="seat_release_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot_id} {self.release_at:%Y-%m-%d %H:%M}"
