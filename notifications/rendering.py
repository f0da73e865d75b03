"""One rendering path for every message, per channel and language.

Templates live in ``templates/notifications/<key>/``: ``subject.txt``,
``body.txt`` and ``body.html`` for e-mail, ``sms.txt`` for SMS. They are
rendered with the recipient's language active (French by default). SMS text
is transliterated to GSM-7 when it is in a Latin script, sent as UCS-2
otherwise (``gsm.sms_text``), and kept within ``SMS_MAX_SEGMENTS`` segments
(``_sms``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from booking.ics import ics_sequence
from booking.models import Slot
from core.languages import language_codes
from core.links import public_url
from notifications import gsm
from notifications.models import MessageChannel

logger = logging.getLogger(__name__)

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _language(language: str | None) -> str:
    return language if language in language_codes() else settings.LANGUAGE_CODE


def _render(name: str, context: dict[str, Any]) -> str:
    return get_template(name).render(context).strip()


def render(*, key: str, channel: str, language: str | None, context: dict[str, Any]) -> Rendered:
    """Render message ``key`` for ``channel`` in ``language``."""
    with translation.override(_language(language)):
        if channel == MessageChannel.SMS:
            return Rendered(subject="", text=_sms(key, context), html="")
        subject = " ".join(_render(f"notifications/{key}/subject.txt", context).split())
        return Rendered(
            subject=subject,
            # Template tags leave blank lines behind: keep paragraphs, drop the gaps.
            text=_BLANK_LINES.sub("\n\n", _render(f"notifications/{key}/body.txt", context)) + "\n",
            html=_render(f"notifications/{key}/body.html", context),
        )


def _sms_render(key: str, context: dict[str, Any]) -> str:
    text = " ".join(_render(f"notifications/{key}/sms.txt", context).split())
    return gsm.sms_text(text)


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut at a word boundary when
    one is not too far back, an ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "\u2026"


class _Shortened:
    """A record (a site, a procedure) whose text attributes the template sees
    cut: its addresses to ``address`` characters, any other text to ``other``;
    anything else as the record has it."""

    def __init__(self, record: models.Model, *, address: int, other: int) -> None:
        self._record = record
        self._address = address
        self._other = other

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._record, name)
        if not isinstance(value, str):
            return value
        return _shorten(value, self._address if "address" in name else self._other)

    def __str__(self) -> str:
        return _shorten(str(self._record), self._other)


def _longest_fitting(render_at: Callable[[int], str], *, high: int) -> tuple[int, str] | None:
    """The largest limit in 1..``high`` whose rendering fits ``SMS_MAX_SEGMENTS``,
    and that rendering; None when not even 1 does. Renderings get no longer
    as the limit falls, so a binary search finds it."""
    budget = settings.SMS_MAX_SEGMENTS
    best = render_at(1)
    if gsm.segments(best) > budget:
        return None
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        candidate = render_at(middle)
        if gsm.segments(candidate) <= budget:
            low, best = middle, candidate
        else:
            high = middle - 1
    return low, best


def _sms(key: str, context: dict[str, Any]) -> str:
    """The SMS text of ``key``, within ``SMS_MAX_SEGMENTS`` segments.

    Too long, the free text of the records it shows is cut, at a word
    boundary, to the longest length that fits: addresses first (the link and
    the e-mail give them in full), then, if that is not enough, the names of
    the place and the procedure. What the template writes, the reference,
    date, time, code and links stay whole. Logged at INFO: expected for long
    names in UCS-2 (Arabic), 67 characters a segment. Should even names cut to
    nothing not fit (a translation too long for the budget), the text is cut at
    a word boundary, its links whole (``gsm.truncate``), and an ERROR is
    logged: a translation or the setting must change. Never more segments than
    the budget.
    """
    budget = settings.SMS_MAX_SEGMENTS
    text = _sms_render(key, context)
    if gsm.segments(text) <= budget:
        return text

    def shortened(*, address: int, other: int) -> str:
        return _sms_render(
            key,
            {
                name: _Shortened(value, address=address, other=other)
                if isinstance(value, models.Model)
                else value
                for name, value in context.items()
            },
        )

    whole = len(text)  # a limit no shown text reaches: nothing cut
    found = _longest_fitting(lambda limit: shortened(address=limit, other=whole), high=whole)
    what = "addresses"
    if found is None:
        found = _longest_fitting(lambda limit: shortened(address=1, other=limit), high=whole)
        what = "addresses to nothing, names"
    if found is None:
        logger.error(
            "SMS %s (%s) does not fit SMS_MAX_SEGMENTS=%d even with its names cut: "
            "sent cut at a word boundary. Shorten the translation or raise the budget.",
            key,
            translation.get_language(),
            budget,
        )
        return gsm.truncate(text, max_segments=budget)
    limit, fitted = found
    logger.info(
        "SMS %s (%s) shortened to fit SMS_MAX_SEGMENTS=%d: %s cut to %d characters.",
        key,
        translation.get_language(),
        budget,
        what,
        limit,
    )
    return fitted


def appointment_context(appointment) -> dict[str, Any]:
    """What the appointment templates show. Costs no query when the appointment's
    slot, the slot's site and the procedure are loaded."""
    slot = appointment.slot
    procedure = appointment.procedure
    return {
        "reference": appointment.reference,
        "procedure": procedure,
        "site": slot.site,
        "starts_at": timezone.localtime(slot.starts_at),
        "documents": procedure.document_list,
        "detail_url": public_url(
            reverse("booking:appointment_detail", args=[appointment.reference])
        ),
        "cancel_url": public_url(
            reverse("booking:appointment_cancel", args=[appointment.reference])
        ),
        "book_url": public_url(reverse("booking:sites", args=[procedure.slug])),
    }


# --- The event an appointment message tells of -------------------------------------


def event_context(appointment) -> dict[str, Any]:
    """What an appointment message keeps of its event (``Message.context``):
    the slot and the calendar event's version at that moment. The text and the
    ``.ics`` are both made from it, whenever the message is sent."""
    return {"slot": appointment.slot_id, "sequence": ics_sequence(appointment)}


def event_slot(message):
    """The slot ``message`` speaks of: the appointment's at the event (a later
    reschedule does not change what a message already owed says). Sets it on
    ``message.appointment``, so that one read serves the text and the ``.ics``."""
    appointment = message.appointment
    slot_id = message.context.get("slot", appointment.slot_id)
    if slot_id != appointment.slot_id:
        appointment.slot = Slot.objects.select_related("site").get(pk=slot_id)
    return appointment.slot
