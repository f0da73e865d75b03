"""The link an offer's messages carry: it lets the person answer the offer
without an account (a walk-in a mediator put on the list) or without logging
in. Nothing is stored: the token is derived from the offer (its id and the
moment it was made) with the site's secret key, when the message is sent and
when the link is followed, so the database holds no readable link
(``allocation.views``: the page behind it; ``notifications``: the messages).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

from allocation.models import Offer
from core.parsing import parse_id

_SALT = "allocation.offer-link"


def _signature(offer_id: int, created_at) -> str:
    return salted_hmac(
        _SALT, f"{offer_id}:{created_at.isoformat()}", algorithm="sha256"
    ).hexdigest()[:32]


def offer_token(offer: Offer) -> str:
    """``<id>-<signature>``: what the link carries."""
    return f"{offer.pk}-{_signature(offer.pk, offer.created_at)}"


def offer_from_token(token: str) -> Offer | None:
    """The offer the token was made for, or ``None`` (malformed, tampered, or an
    offer that no longer exists: all answer alike)."""
    head, _sep, signature = str(token).partition("-")
    offer_id = parse_id(head)
    if offer_id is None or len(signature) != 32:
        return None
    offer = (
        Offer.objects.select_related("slot__site", "procedure", "applicant", "appointment")
        .filter(pk=offer_id)
        .first()
    )
    if offer is None or not hmac.compare_digest(signature, _signature(offer.pk, offer.created_at)):
        return None
    return offer


def offer_url(offer: Offer) -> str:
    """The absolute link to answer ``offer`` (``PUBLIC_BASE_URL``)."""
    path = reverse("allocation:offer_link", args=[offer_token(offer)])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
