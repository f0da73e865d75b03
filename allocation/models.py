"""The waiting list and its offers (the fair-allocation issue).

A ``WaitlistEntry`` is a person waiting for a procedure whose public capacity
is given out by its list (``booking.AllocationMode.QUEUE``: those slots are in
the pool ``queue``, which nobody books directly). The list's order is one
function (``allocation.rules.list_order``): the priority class first, then
the moment the person joined. An ``Offer`` holds one seat of a slot for the
entry's person (``Slot.held``) until ``expires_at``; accepted, the hold
becomes their appointment; declined or expired, the seat goes to the next.

The database holds the rules the allocation must never break: one entry in
force per identity and procedure, one open offer per entry, and (on the slot)
``booked + held <= capacity``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models import Applicant, Appointment, Channel, Procedure, Slot


class EntryStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    # Two offers let expire without an answer: no more offers until the person
    # says they still need an appointment (``waitlist_entry_resume``).
    PAUSED = "paused", _("Paused: confirm you still need it")
    SERVED = "served", _("Appointment booked")
    LEFT = "left", _("Left the list")


ENTRY_IN_FORCE = (EntryStatus.WAITING, EntryStatus.PAUSED)


class PriorityClass(models.IntegerChoices):
    """Who comes first (lower first), then who joined first."""

    COURT_ORDER = 0, _("Court-ordered convocation not yet served")
    CANCELLED_BY_PREFECTURE = 1, _("Appointment cancelled by the prefecture")
    PERMIT_EXPIRING = 2, _("Renewal: residence permit expiring soon")
    NONE = 9, _("In the order of joining")


class WaitlistEntry(models.Model):
    applicant = models.ForeignKey(
        Applicant, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    # The identity as it joined: one entry in force per person and procedure,
    # whoever joins them (themselves, a mediator, an agent).
    identity_key = models.CharField(max_length=64, editable=False)
    # The sites the person can reach (ids of ``booking.Site``) and the ISO
    # weekdays (1 Monday .. 7 Sunday) they cannot come: read as arrays by the
    # set-based allocation, one row per entry.
    site_ids = ArrayField(models.IntegerField(), verbose_name=_("sites"))
    weekdays_excluded = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    # A renewal: when the person's residence permit expires, as staff record it
    # (within ``WAITLIST_PERMIT_EXPIRING_DAYS``: the class ``PERMIT_EXPIRING``).
    permit_expires_on = models.DateField(_("residence permit expires on"), null=True, blank=True)
    priority_class = models.PositiveSmallIntegerField(
        _("priority"), choices=PriorityClass, default=PriorityClass.NONE
    )
    # The moment that orders the entry within its class: when the person
    # joined, moved to now when they decline a second time.
    queued_at = models.DateTimeField(_("in the list since"), default=timezone.now)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=8, choices=EntryStatus, default=EntryStatus.WAITING
    )
    declines = models.PositiveSmallIntegerField(default=0)
    expiries = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    access_point = models.ForeignKey(
        "mediation.AccessPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["identity_key", "procedure"],
                condition=Q(status__in=ENTRY_IN_FORCE),
                name="one_entry_in_force_per_person_and_procedure",
            ),
            models.UniqueConstraint(
                fields=["applicant", "procedure"],
                condition=Q(status__in=ENTRY_IN_FORCE),
                name="one_entry_in_force_per_applicant_and_procedure",
            ),
        ]
        indexes = [
            # The list in its order (``allocation.rules.list_order``).
            models.Index(
                fields=["procedure", "priority_class", "queued_at", "id"],
                condition=Q(status="waiting"),
                name="waitlist_order_idx",
            ),
            models.Index(fields=["applicant", "status"], name="waitlist_applicant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id}/{self.procedure_id} {self.status}"

    @property
    def in_force(self) -> bool:
        return self.status in ENTRY_IN_FORCE


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    # The prefecture took the seat back (a closure, a suspension) or the
    # person left the list: not the person's doing.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offer(models.Model):
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="offers")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="offers")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(
        _("status"), max_length=9, choices=OfferStatus, default=OfferStatus.OPEN
    )
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    expires_at = models.DateTimeField(_("held until"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="open"),
                name="one_open_offer_per_entry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="open"), name="offer_open_expiry_idx"
            ),
            models.Index(fields=["slot", "status"], name="offer_slot_idx"),
            models.Index(fields=["applicant", "-created_at"], name="offer_applicant_idx"),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} {self.status}"
