"""The messages the waiting list owes (``allocation.signals``): an offer made,
an offer the prefecture withdrew, an entry paused, an entry a closure made.

Owed in the transaction of the event (the allocation, the closure, the expiry
run), as outbox rows that keep only what their text is rendered from
(``Message.context``): the worker renders it at the send (``render_at_send``).
One allocation may make ten thousand offers, so owing costs a bounded number
of queries whatever their count: one read of the people with their accounts,
one question about the walk-ins' consents (``walk_in_contacts_withheld``), one
INSERT per ``MESSAGES_BATCH`` rows. The offer's message carries the link that
answers it, a secret: rendered at each attempt from the offer and never stored
(``allocation.messages``, ``sending.render_secret``); not sent once the offer
is no longer open. See ``docs/allocation/messages.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from allocation.messages import (
    ENTRY_PAUSED,
    ENTRY_PLACED,
    OFFER_MADE,
    OFFER_WITHDRAWN,
    offer_message_context,
)
from allocation.models import Offer, WaitlistEntry
from booking.models import Applicant, Site
from core.links import public_url
from notifications import outbox
from notifications.models import Message, MessageChannel
from notifications.rendering import render
from notifications.services.common import batched, sms_due_at
from notifications.services.contacts import applicant_contacts, walk_in_contacts_withheld
from notifications.transport import PermanentSendError

# Rows per INSERT (about 25 parameters each: well within PostgreSQL's 65,535).
MESSAGES_BATCH = 1000
# An SMS owed in the quiet hours waits for their end, unless the offer would
# then have less than this left: the person needs the time to answer.
QUIET_WAIT_LEAVES_AT_LEAST = timedelta(hours=2)


def _owe(
    *,
    items: Sequence[tuple[int, str, dict[str, Any], datetime | None]],
    template_key: str,
    now: datetime,
) -> list[int]:
    """Owe message ``template_key`` to the person of each item ``(applicant
    id, idempotency key's stem, context, until when it is worth sending)`` by
    every channel they have, in their language; the ids go to the send tasks
    once the caller's transaction commits. Two queries and one INSERT per
    ``MESSAGES_BATCH``, whatever the count."""
    if not items:
        return []
    applicants = Applicant.objects.select_related("user").in_bulk(
        sorted({applicant_id for applicant_id, *_rest in items})
    )
    withheld = walk_in_contacts_withheld(applicants=applicants.values(), now=now)
    sms_due = sms_due_at(now=now)
    messages = []
    for applicant_id, stem, context, until in items:
        applicant = applicants.get(applicant_id)
        if applicant is None:
            continue
        for channel, destination in applicant_contacts(
            applicant=applicant, now=now, withheld=withheld
        ):
            due = now
            if channel == MessageChannel.SMS and (
                until is None or sms_due + QUIET_WAIT_LEAVES_AT_LEAST <= until
            ):
                due = sms_due
            messages.append(
                outbox.message_build(
                    applicant=applicant,
                    user=applicant.user,
                    channel=channel,
                    template_key=template_key,
                    language=applicant.preferred_language,
                    destination=destination,
                    context=context,
                    idempotency_key=f"{template_key}:{stem}:{channel}",
                    now=now,
                    next_attempt_at=due,
                )
            )
    ids: list[int] = []
    due_now: list[int] = []
    for batch in batched(messages, MESSAGES_BATCH):
        for message in Message.objects.bulk_create(batch):
            ids.append(message.pk)
            if message.next_attempt_at <= now:
                due_now.append(message.pk)
    # Those held for the end of the quiet hours go with the sweep.
    outbox.enqueue_on_commit(due_now)
    return ids


def offers_made_owe(*, offers: Iterable[Offer], now: datetime) -> list[int]:
    """``allocation.signals.offers_made``: each offer's person is owed the offer
    (``offer_made``), its link rendered at each attempt. Returns the ids."""
    return _owe(
        items=[
            (offer.applicant_id, f"o{offer.pk}", {"offer": offer.pk}, offer.expires_at)
            for offer in offers
        ],
        template_key=OFFER_MADE,
        now=now,
    )


def offers_withdrawn_owe(*, offers: Iterable[Offer], reason: str, now: datetime) -> list[int]:
    """``allocation.signals.offers_ended``: offers the prefecture withdrew (a
    closure, a change of mode) are owed a short word (``offer_withdrawn``): the
    time is withdrawn, the place in the list kept. Nothing when the person left
    the list (their doing)."""
    if reason == "left":
        return []
    return _owe(
        items=[
            (offer.applicant_id, f"o{offer.pk}", {"offer": offer.pk, "reason": reason}, None)
            for offer in offers
        ],
        template_key=OFFER_WITHDRAWN,
        now=now,
    )


def entries_paused_owe(*, entry_ids: Iterable[int], now: datetime) -> list[int]:
    """``allocation.signals.entries_paused``: each person is told their entry is
    paused and how to say they still need an appointment (``waitlist_paused``).
    An entry may be paused again after it resumes: each pause owes its message."""
    entries = WaitlistEntry.objects.filter(pk__in=sorted(entry_ids)).values_list(
        "pk", "applicant_id"
    )
    moment = now.strftime("%Y%m%dT%H%M%S.%f")
    return _owe(
        items=[
            (applicant_id, f"e{entry_id}:{moment}", {"entry": entry_id}, None)
            for entry_id, applicant_id in entries
        ],
        template_key=ENTRY_PAUSED,
        now=now,
    )


def entries_placed_owe(*, entry_ids: Iterable[int], now: datetime) -> list[int]:
    """``allocation.signals.entries_placed``: each person a closure put back on
    the list is told so (``waitlist_placed``): where, that they come before the
    people without priority, and that they may decline what is offered. One
    message per entry and channel."""
    entries = WaitlistEntry.objects.filter(pk__in=sorted(entry_ids)).values_list(
        "pk", "applicant_id"
    )
    return _owe(
        items=[
            (applicant_id, f"e{entry_id}", {"entry": entry_id}, None)
            for entry_id, applicant_id in entries
        ],
        template_key=ENTRY_PLACED,
        now=now,
    )


# --- Rendering, at the send ------------------------------------------------------------


def _account_url() -> str:
    return public_url(reverse("accounts:me"))


def offer_made_context(message: Message) -> dict[str, Any] | None:
    """The context of an offer's message, its link derived now (``sending.
    render_secret``); ``None`` when the offer is no longer open: not sent."""
    context = offer_message_context(offer_id=message.context.get("offer"), now=timezone.now())
    if context is not None and context["has_account"]:
        context["account_url"] = _account_url()
    return context


def _fill(message: Message, context: dict[str, Any]) -> None:
    rendered = render(
        key=message.template_key,
        channel=message.channel,
        language=message.language,
        context=context,
    )
    message.subject, message.text, message.html = (
        rendered.subject[:200],
        rendered.text,
        rendered.html,
    )


def offer_withdrawn_render(*, message: Message) -> None:
    """Fill in the text of an ``offer_withdrawn`` message from its offer."""
    offer = (
        Offer.objects.select_related("slot__site", "procedure")
        .filter(pk=message.context.get("offer"))
        .first()
    )
    if offer is None:
        raise PermanentSendError("the offer no longer exists")
    _fill(
        message,
        {
            "procedure": offer.procedure,
            "site": offer.slot.site,
            "starts_at": timezone.localtime(offer.slot.starts_at),
        },
    )


def _entry_of(message: Message) -> WaitlistEntry:
    """The entry a ``waitlist_*`` message is about, with its procedure and person."""
    entry = (
        WaitlistEntry.objects.select_related("procedure", "applicant")
        .filter(pk=message.context.get("entry"))
        .first()
    )
    if entry is None:
        raise PermanentSendError("the entry no longer exists")
    return entry


def _account_link(entry: WaitlistEntry) -> dict:
    """Where the person sees their place: their account's address, if they have one."""
    has_account = entry.applicant.user_id is not None
    return {"has_account": has_account, "account_url": _account_url() if has_account else ""}


def entry_paused_render(*, message: Message) -> None:
    """Fill in the text of a ``waitlist_paused`` message from its entry."""
    entry = _entry_of(message)
    _fill(message, {"procedure": entry.procedure, **_account_link(entry)})


def entry_placed_render(*, message: Message) -> None:
    """Fill in the text of a ``waitlist_placed`` message from its entry."""
    entry = _entry_of(message)
    _fill(
        message,
        {
            "procedure": entry.procedure,
            "site": Site.objects.filter(pk__in=entry.site_ids).order_by("name").first(),
            **_account_link(entry),
        },
    )


# What the worker renders each kind from (``sending``).
SECRET_CONTEXTS = {OFFER_MADE: offer_made_context}
RENDERERS = {
    OFFER_WITHDRAWN: offer_withdrawn_render,
    ENTRY_PAUSED: entry_paused_render,
    ENTRY_PLACED: entry_placed_render,
}
