"""Blocks: a person may not book a procedure until a given moment."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models.identities import Applicant
from booking.models.places import Procedure


class BlockReason(models.TextChoices):
    # After ``NO_SHOW_LIMIT`` no-shows within ``NO_SHOW_WINDOW_MONTHS`` months
    # (``booking.rules.no_show_block_until``).
    NO_SHOWS = "no_shows", _("Repeated no-shows")
    # An ``open`` procedure's appointment cancelled by its person (or for them):
    # the same identity may not book the procedure again for
    # ``CANCEL_COOLING_HOURS`` (``booking.rules.cancel_block_until``), so that a
    # seat let go at an agreed second cannot be taken back by its seller.
    CANCELLED = "cancelled", _("Cancelled an appointment recently")


class BookingBlock(models.Model):
    """``applicant`` may not book ``procedure`` before ``until``.

    Written by the services that find a reason (``booking.services.counter``:
    no-shows), read by the rulebook (``booking.rules.booking_block``) and by the
    booking statement (``booking.statements``), which refuses while one is in
    force. It ends by itself at ``until``; nothing deletes it (the history). One
    row per person, procedure and reason: a new reason's occurrence moves its
    ``until``.
    """

    applicant = models.ForeignKey(
        Applicant, on_delete=models.CASCADE, related_name="booking_blocks"
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="booking_blocks"
    )
    until = models.DateTimeField(_("blocked until"))
    reason = models.CharField(_("reason"), max_length=16, choices=BlockReason)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("booking block")
        verbose_name_plural = _("booking blocks")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "procedure", "reason"], name="booking_block_one_per_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id}/{self.procedure_id} {self.reason} → {self.until:%Y-%m-%d}"
