"""The waiting list's messages: their kinds, and what the offer's is rendered from.

The offer's message carries the link that answers it (``allocation.links``),
a secret: like the account messages that carry one (``accounts.messages``),
its outbox row keeps only the offer's id and no body; notifications renders
the body at each attempt from ``offer_message_context`` and never stores it,
and pages that list messages show ``SHOWN_INSTEAD`` (registered with
``accounts.messages.secret_kinds_register`` in ``AllocationConfig.ready``).
The others (the offer withdrawn, the entry paused, the entry a closure
made) carry no secret.
See ``docs/allocation/messages.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocation.links import offer_url
from allocation.models import Offer, OfferStatus

OFFER_MADE = "offer_made"
OFFER_WITHDRAWN = "offer_withdrawn"
ENTRY_PAUSED = "waitlist_paused"
# The prefecture put the person back on the list after its closure cancelled
# their appointment (``entries_after_closure``).
ENTRY_PLACED = "waitlist_placed"

SHOWN_INSTEAD = {OFFER_MADE: _("An offer of an appointment (its link is not kept)")}


def offer_message_context(*, offer_id: int | None, now: datetime) -> dict[str, Any] | None:
    """What the message of offer ``offer_id`` shows, its link derived now; ``None``
    when the offer is no longer open (answered, withdrawn, past its moment, gone):
    a link that no longer answers anything is not sent. One query."""
    offer = (
        Offer.objects.select_related("slot__site", "procedure", "applicant")
        .filter(pk=offer_id, status=OfferStatus.OPEN, expires_at__gt=now)
        .first()
        if offer_id is not None
        else None
    )
    if offer is None:
        return None
    return {
        "procedure": offer.procedure,
        "site": offer.slot.site,
        "starts_at": timezone.localtime(offer.slot.starts_at),
        "expires_at": timezone.localtime(offer.expires_at),
        "offer_url": offer_url(offer),
        "has_account": offer.applicant.user_id is not None,
    }
