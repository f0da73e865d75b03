"""Subscribing to new-slot alerts, and leaving."""

from __future__ import annotations

from collections.abc import Sequence

from django.core import signing
from django.db import transaction
from django.utils import timezone

from booking.models import Applicant
from notifications.errors import AlertChannelUnavailable, AlertNeedsSite, AlertsNotOffered
from notifications.models import (
    AlertChannels,
    AlertSubscription,
    Message,
    MessageChannel,
    MessageStatus,
)
from notifications.services.alerts import NEW_SLOTS, UNSUBSCRIBE_SALT, alerts_offered
from notifications.services.contacts import applicant_contacts


def subscription_from_token(*, token: str) -> AlertSubscription | None:
    try:
        pk = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return AlertSubscription.objects.filter(pk=pk).select_related("procedure").first()


def alert_subscribe(
    *, applicant: Applicant, procedure, site_ids: Sequence[int], channels: str
) -> AlertSubscription:
    """Subscribe (or change the subscription of) ``applicant`` to new-slot alerts."""
    if not alerts_offered(procedure=procedure):
        raise AlertsNotOffered()
    if not site_ids:
        raise AlertNeedsSite()
    if channels not in AlertChannels.values:
        raise AlertChannelUnavailable()
    contacts = dict(applicant_contacts(applicant=applicant))
    if channels in (AlertChannels.SMS, AlertChannels.BOTH) and MessageChannel.SMS not in contacts:
        raise AlertChannelUnavailable()
    if (
        channels in (AlertChannels.EMAIL, AlertChannels.BOTH)
        and MessageChannel.EMAIL not in contacts
    ):
        raise AlertChannelUnavailable()
    with transaction.atomic():
        subscription, _created = AlertSubscription.objects.update_or_create(
            applicant=applicant,
            procedure=procedure,
            defaults={"channels": channels, "is_active": True, "unsubscribed_at": None},
        )
        subscription.sites.set(site_ids)
    return subscription


def alert_unsubscribe(*, subscription: AlertSubscription) -> None:
    now = timezone.now()
    AlertSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, unsubscribed_at=now
    )
    Message.objects.filter(
        template_key=NEW_SLOTS,
        applicant_id=subscription.applicant_id,
        status=MessageStatus.PENDING,
        idempotency_key__contains=f":sub{subscription.pk}:",
    ).update(status=MessageStatus.FAILED, last_error="unsubscribed", updated_at=now)
