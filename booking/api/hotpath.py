"""The booking by API, the hottest write path of a release storm: everything
``AppointmentListView.post`` does between parsing the request and rendering
the appointment.

1. Before DRF authenticates (``prefetch``): the token of ``Authorization:
   Token <key>`` and the slot of a small ``{"slot": <id>}`` body are read in
   one statement (``booking.api.authentication.token_lookup_joined`` joined to
   ``booking.statements.slot_joined``), unless this process knows the slot
   sold out; DRF then authenticates from that read.
2. ``appointment_book``: the sold-out memory (``booking.api.soldout``) refuses
   a slot seen full within the second without a query; any other slot is
   read once (the prefetched read, or one read now) and refused as full if it
   is and the caller may see it (``booking.rules``); else the booking service
   decides, from that same read, in one statement. A refusal as full is
   remembered.

A free slot thus costs two round trips in all (the token with the slot, the
booking statement); a sold-out one one or none.
"""

from __future__ import annotations

import json
from functools import cache

from django.http import HttpRequest

from accounts.models import User
from booking import errors, selectors, services, statements
from booking.api import soldout
from booking.api.authentication import Joined, token_lookup_joined, token_prefetched
from booking.api.serializers import MAX_ID
from booking.models import Applicant, Appointment, Channel
from booking.statements import SlotRead

# What ``prefetch`` read: the slot's id and its read (``None``: no such slot).
Prefetched = tuple[int, SlotRead | None]


@cache
def _slot_joined() -> Joined:
    return Joined(*statements.slot_joined())


def prefetch(request: HttpRequest) -> Prefetched | None:
    """Read the token of ``Authorization: Token <key>`` and the slot of a small
    ``{"slot": <id>}`` JSON body in one statement; hand the token to DRF's
    authentication (``token_prefetched``) and return the slot's id and read.
    ``None`` (nothing read) for anything else: DRF and the view then read and
    answer as usual, errors included."""
    words = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(words) != 2 or words[0].lower() != "token" or request.content_type != "application/json":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= 256:
        return None
    try:
        data = json.loads(request.body)
    except ValueError:  # not JSON, not UTF-8: the parser says so later
        return None
    slot_id = data.get("slot") if isinstance(data, dict) else None
    if type(slot_id) is not int or not 1 <= slot_id <= MAX_ID or soldout.is_sold_out(slot_id):
        return None
    found, columns = token_lookup_joined(words[1], _slot_joined(), (slot_id,))
    token_prefetched(request, words[1], found)
    return slot_id, statements.slot_read_of(columns)


def appointment_book(
    *, actor: User, applicant: Applicant, slot_id: int, prefetched: Prefetched | None
) -> Appointment:
    """Book ``slot_id`` through the API for ``applicant`` (the caller's own),
    refusing a full slot as cheaply as possible; ``prefetched``: what
    ``prefetch`` read for this request, if anything. Raises what
    ``booking.services.appointment_book`` raises."""
    if soldout.is_sold_out(slot_id):
        read = None
    elif prefetched is not None and prefetched[0] == slot_id:
        read = prefetched[1]
    else:
        read = services.slot_for_booking(slot_id)
    if soldout.is_full(slot_id, read, pools=selectors.pools_for(actor)):
        raise errors.SlotFull()
    try:
        return services.appointment_book(
            actor=actor,
            applicant=applicant,
            slot_id=slot_id,
            channel=Channel.API,
            slot=None if read is None else read.slot(),
        )
    except errors.SlotFull:
        soldout.remember(slot_id)
        raise
