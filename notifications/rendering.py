"""One rendering path for every message, per channel and language.

Templates live in ``templates/notifications/<key>/``: ``subject.txt``,
``body.txt`` and ``body.html`` for e-mail, ``sms.txt`` for SMS. They are
rendered with the recipient's language active (French by default); SMS text
is then transliterated to GSM-7 so that it stays within one or two segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from booking.ics import ics_sequence
from booking.models import Slot
from core.links import public_url
from notifications.gsm import to_gsm7
from notifications.models import MessageChannel

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def _render(name: str, context: dict[str, Any]) -> str:
    return get_template(name).render(context).strip()


def render(*, key: str, channel: str, language: str | None, context: dict[str, Any]) -> Rendered:
    """Render message ``key`` for ``channel`` in ``language``."""
    with translation.override(_language(language)):
        if channel == MessageChannel.SMS:
            text = " ".join(_render(f"notifications/{key}/sms.txt", context).split())
            return Rendered(subject="", text=to_gsm7(text), html="")
        subject = " ".join(_render(f"notifications/{key}/subject.txt", context).split())
        return Rendered(
            subject=subject,
            # Template tags leave blank lines behind: keep paragraphs, drop the gaps.
            text=_BLANK_LINES.sub("\n\n", _render(f"notifications/{key}/body.txt", context)) + "\n",
            html=_render(f"notifications/{key}/body.html", context),
        )


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
