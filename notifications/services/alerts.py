"""New-slot alerts: who is offered them, and the fan-out to subscribers."""

from __future__ import annotations

import random
from datetime import datetime

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from booking.models import Applicant, Procedure, Site
from core.links import public_url
from notifications import outbox
from notifications.models import (
    AlertChannels,
    AlertSubscription,
    MessageChannel,
    SmsOptOut,
)
from notifications.rendering import render
from notifications.services.common import batched, messages_owe_new, sms_due_at
from notifications.services.contacts import contacts_of, walk_in_contacts_withheld

NEW_SLOTS = "new_slots"

UNSUBSCRIBE_SALT = "notifications.alerts.unsubscribe"
_UNSUBSCRIBE_PLACEHOLDER = "@@UNSUBSCRIBE_URL@@"


def unsubscribe_token(subscription_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscription_id))


def unsubscribe_url(subscription_id: int) -> str:
    return public_url(
        reverse("notifications:alert_unsubscribe", args=[unsubscribe_token(subscription_id)])
    )


def alerts_offered(*, procedure) -> bool:
    """Whether new-slot alerts are offered for ``procedure``: an active one that
    applicants book themselves. The others (``self_booking`` off) are booked by
    a mediator or an agent; an alert's link to book would answer 404."""
    return procedure.is_active and procedure.self_booking and is_first_come(procedure=procedure)


def is_first_come(*, procedure) -> bool:
    """Whether freed or new capacity of ``procedure`` goes to whoever books first
    (then alerts make sense). Every procedure is, until the waiting list exists."""
    return True


def alerts_fan_out(
    *,
    procedure_id: int,
    site_id: int,
    event_key: str,
    now: datetime | None = None,
    batch_size: int = 1000,
    rng: random.Random | None = None,
) -> int:
    """Owe one new-slot alert per channel to every active subscriber of the
    procedure at the site, for the event ``event_key`` (a publication, a freed
    seat). Returns how many messages were created.

    Subscribers are served in random order (so nobody is always first), in
    batches of ``batch_size`` (one INSERT and one publish round each). No SMS
    during the quiet hours: those wait for the morning in ``next_attempt_at``.
    Idempotent: each message's key is the event, the subscription and the
    channel, so running the fan-out again creates nothing twice.
    """
    now = now or timezone.now()
    procedure = Procedure.objects.get(pk=procedure_id)
    if not alerts_offered(procedure=procedure):
        return 0  # subscriptions made before the procedure stopped being self-booked
    site = Site.objects.get(pk=site_id)
    subscriptions = list(
        AlertSubscription.objects.filter(
            procedure_id=procedure_id, is_active=True, sites__id=site_id
        ).values_list(
            "pk",
            "channels",
            "applicant_id",
            "applicant__preferred_language",
            "applicant__user_id",
            "applicant__user__phone",
            "applicant__user__phone_verified_at",
            "applicant__user__email",
            "applicant__user__email_verified_at",
            "applicant__phone",
            "applicant__email",
            "applicant__access_point_id",
        )
    )
    (rng or random.SystemRandom()).shuffle(subscriptions)
    # A walk-in's typed contacts only as far as the person consented (one ask for all).
    withheld = walk_in_contacts_withheld(
        applicants=[
            Applicant(pk=row[2], user_id=None, phone=row[9], email=row[10], access_point_id=row[11])
            for row in subscriptions
            if row[4] is None
        ],
        now=now,
    )
    recipients = []
    for row in subscriptions:
        contacts = dict(
            contacts_of(
                has_account=row[4] is not None,
                account_phone=row[5] or "",
                phone_confirmed=row[6] is not None,
                account_email=row[7] or "",
                email_confirmed=row[8] is not None,
                walk_in_phone=row[9],
                walk_in_email=row[10],
            )
        )
        for channel in [channel for channel in contacts if (row[2], channel) in withheld]:
            del contacts[channel]
        phone, email_address = contacts.get(MessageChannel.SMS), contacts.get(MessageChannel.EMAIL)
        recipients.append((row[0], row[1], row[2], phone, email_address, row[3]))
    opted_out = set(
        SmsOptOut.objects.filter(phone__in={row[3] for row in recipients if row[3]}).values_list(
            "phone", flat=True
        )
    )
    sms_at = sms_due_at(now=now)
    # Rendered once per language and channel; only the unsubscribe link differs.
    context = {
        "procedure": procedure,
        "site": site,
        "book_url": public_url(reverse("booking:sites", args=[procedure.slug])),
        "unsubscribe_url": _UNSUBSCRIBE_PLACEHOLDER,
    }
    cache: dict[tuple[str, str], object] = {}

    def rendered(channel: str, language: str):
        if (channel, language) not in cache:
            cache[channel, language] = render(
                key=NEW_SLOTS, channel=channel, language=language, context=context
            )
        return cache[channel, language]

    created = 0
    for chunk in batched(recipients, batch_size):
        messages = []
        for pk, channels, applicant_id, phone, email_address, language in chunk:
            link = unsubscribe_url(pk)
            wanted = []
            wants_sms = channels in (AlertChannels.SMS, AlertChannels.BOTH)
            if wants_sms and phone and phone not in opted_out:
                wanted.append((MessageChannel.SMS, phone, sms_at))
            if channels in (AlertChannels.EMAIL, AlertChannels.BOTH) and email_address:
                wanted.append((MessageChannel.EMAIL, email_address, now))
            for channel, destination, due in wanted:
                r = rendered(channel, language)
                message = outbox.message_build(
                    channel=channel,
                    template_key=NEW_SLOTS,
                    language=language,
                    destination=destination,
                    subject=r.subject,
                    text=r.text.replace(_UNSUBSCRIBE_PLACEHOLDER, link),
                    html=r.html.replace(_UNSUBSCRIBE_PLACEHOLDER, link),
                    essential=False,
                    idempotency_key=f"{NEW_SLOTS}:{event_key}:sub{pk}:{channel}",
                    now=now,
                    next_attempt_at=due,
                )
                message.applicant_id = applicant_id  # the fan-out reads ids, not applicants
                messages.append(message)
        created += messages_owe_new(messages=messages, now=now)
    return created
