"""The notifications outbox and the new-slot alert subscriptions.

A ``Message`` is written in the same transaction as the event that owes it
(``notifications.services``); a Celery task sends it afterwards. Its
``idempotency_key`` (event + channel + recipient) is unique, so an event that
is processed twice owes each person each message once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    UNDELIVERED = "undelivered", _("Undelivered")


class Message(models.Model):
    """One SMS or e-mail owed to one person.

    ``destination`` is the phone number or address at the moment of the event:
    a later change of contact details does not redirect a message already owed.
    Messages owed by a booking event are rendered by the worker before their
    first send (the booking's transaction only inserts them); the others are
    rendered when they are owed. ``in_doubt`` is set by the sweep when a
    worker died during a send: whether the provider got the message is
    unknown, and the next attempt asks it first (see ``services.message_send``).
    """

    applicant = models.ForeignKey(
        "booking.Applicant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("applicant"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("account"),
        db_index=False,  # see Meta.indexes: only the rows that have one
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("appointment"),
    )
    channel = models.CharField(_("channel"), max_length=5, choices=MessageChannel)
    template_key = models.CharField(_("template"), max_length=40)
    language = models.CharField(_("language"), max_length=8, default="fr")
    destination = models.CharField(_("destination"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    # What the text is rendered from, when it is rendered by the worker.
    context = models.JSONField(default=dict, blank=True)
    essential = models.BooleanField(
        _("essential"),
        default=True,
        help_text=_("Sent even to a number that replied STOP (confirmations, cancellations)."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    in_doubt = models.BooleanField(default=False)
    provider_id = models.CharField(_("provider id"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The sweep's two questions: what is due, what is stuck.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="message_pending_due_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="message_sending_idx",
            ),
            # Partial: a new row (no provider id yet, no account) costs these indexes
            # nothing, and the booking's transaction inserts new rows.
            models.Index(
                fields=["provider_id"], condition=~Q(provider_id=""), name="message_provider_idx"
            ),
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="message_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} {self.channel} → {self.destination}"


class SmsOptOut(models.Model):
    """A phone number that replied STOP: no alerts nor other non-essential SMS."""

    phone = models.CharField(_("phone"), max_length=20, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return self.phone


class AlertChannels(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    BOTH = "both", _("SMS and e-mail")


class AlertSubscription(models.Model):
    """An applicant's explicit request to hear about new times for a procedure."""

    applicant = models.ForeignKey(
        "booking.Applicant",
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
        verbose_name=_("applicant"),
    )
    procedure = models.ForeignKey(
        "booking.Procedure",
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
        verbose_name=_("procedure"),
    )
    sites = models.ManyToManyField("booking.Site", related_name="+", verbose_name=_("places"))
    channels = models.CharField(_("channels"), max_length=5, choices=AlertChannels)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("new-slot alert")
        verbose_name_plural = _("new-slot alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "procedure"], name="one_alert_per_applicant_and_procedure"
            )
        ]
        indexes = [models.Index(fields=["procedure", "is_active"])]

    def __str__(self) -> str:
        return f"{self.applicant} · {self.procedure}"

    @property
    def wants_sms(self) -> bool:
        return self.channels in (AlertChannels.SMS, AlertChannels.BOTH)

    @property
    def wants_email(self) -> bool:
        return self.channels in (AlertChannels.EMAIL, AlertChannels.BOTH)


class PublicationAnnouncement(models.Model):
    """A publication whose alerts have been fanned out (or are being).

    Kept here rather than as a column of ``booking.Publication``: the booking
    core does not need to know that alerts exist.
    """

    publication = models.OneToOneField(
        "booking.Publication", on_delete=models.CASCADE, related_name="announcement"
    )
    announced_at = models.DateTimeField(default=timezone.now)
    messages_created = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.publication_id} @ {self.announced_at:%Y-%m-%d %H:%M}"


class SmsDailyCount(models.Model):
    """How many SMS were handed to the provider on ``day`` (Paris time), against
    ``SMS_DAILY_BUDGET``. Counted by one conditional upsert per SMS
    (``services.sms_budget_take``), so that workers at once never pass the budget.
    ``alerted_at``: when the budget was reached that day (the alert is logged once).
    """

    day = models.DateField(primary_key=True)
    sent = models.PositiveIntegerField(default=0)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS sent in a day")
        verbose_name_plural = _("SMS sent per day")

    def __str__(self) -> str:
        return f"{self.day}: {self.sent}"


class FreedSeatAlert(models.Model):
    """New-slot alerts owed because a public seat was freed (a cancellation, a
    reschedule), at most one per procedure, place and window of
    ``NOTIFICATIONS_FREED_SEAT_WINDOW_MINUTES``.

    Written in the transaction that frees the seat, like an outbox row, so the
    alert is owed even if the broker is down at commit: a task fans it out
    once the transaction commits, and the sweep hands a row still not
    ``announced_at`` after ``NOTIFICATIONS_PENDING_GRACE`` to a task again. The fan-out's
    message keys (``freed:s<site>:w<window>``) make a second run harmless.
    """

    procedure = models.ForeignKey("booking.Procedure", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("booking.Site", on_delete=models.CASCADE, related_name="+")
    window = models.BigIntegerField()
    # The seat that was freed first in the window: no alert once it has started.
    slot = models.ForeignKey("booking.Slot", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # When a sweep last handed it over again (its first task was lost).
    swept_at = models.DateTimeField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    messages_created = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("freed-seat alert")
        verbose_name_plural = _("freed-seat alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "site", "window"], name="one_freed_seat_alert_per_window"
            )
        ]
        indexes = [
            # The sweep's question: what is owed and not announced yet.
            models.Index(
                fields=["created_at"],
                condition=Q(announced_at__isnull=True),
                name="freed_seat_alert_owed_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} @ {self.site_id}, window {self.window}"

    @property
    def event_key(self) -> str:
        return f"freed:s{self.site_id}:w{self.window}"
