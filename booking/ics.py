"""An appointment as an iCalendar file (RFC 5545), written by hand.

``appointment_ics`` is a pure function of the appointment (no clock, no
request): the web page offers it as a download and the notifications will
attach the same text to e-mails. Texts are in the active language.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _

from booking.models import Appointment, AppointmentStatus

CRLF = "\r\n"
MAX_LINE_OCTETS = 75
PRODID = "-//Guichet//Appointments//FR"


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545, 3.3.11): backslash, semicolon, comma, newline."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets (RFC 5545, 3.1).

    Continuation lines start with one space, which counts in their 75 octets.
    A UTF-8 character is never split across two lines.
    """
    chunks: list[str] = []
    current = ""
    current_octets = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if current_octets + size > limit:
            chunks.append(current)
            current, current_octets = " ", 1
        current += char
        current_octets += size
    chunks.append(current)
    return CRLF.join(chunks)


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _description(appointment: Appointment) -> str:
    procedure = appointment.procedure
    site = appointment.slot.site
    lines = [
        _("Reference: %(reference)s") % {"reference": appointment.reference},
        _("Procedure: %(procedure)s") % {"procedure": procedure.name},
        _("Address: %(address)s") % {"address": f"{site.name}, {site.full_address}"},
    ]
    documents = procedure.document_list
    if documents:
        lines.append(_("Documents to bring:"))
        lines.extend(f"- {document}" for document in documents)
    lines.append(_("Bring the identity document given at booking: it is checked at the counter."))
    if site.access_info:
        lines.append(_("How to get there: %(info)s") % {"info": site.access_info})
    return "\n".join(lines)


def appointment_ics(appointment: Appointment) -> str:
    """The VCALENDAR text for ``appointment``, with CRLF line endings.

    Needs ``appointment.slot.site`` and ``appointment.procedure`` (select them
    with the appointment). ``SEQUENCE`` counts reschedules, so a calendar that
    imported an earlier version replaces it; ``DTSTAMP`` is the last change.
    """
    slot = appointment.slot
    site = slot.site
    procedure = appointment.procedure
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    properties = [
        ("BEGIN", "VCALENDAR"),
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("BEGIN", "VEVENT"),
        ("UID", f"{appointment.reference}@guichet"),
        ("DTSTAMP", format_utc(appointment.updated_at)),
        ("DTSTART", format_utc(slot.starts_at)),
        ("DTEND", format_utc(slot.ends_at)),
        ("SEQUENCE", str(appointment.reschedule_count)),
        ("STATUS", "CANCELLED" if cancelled else "CONFIRMED"),
        (
            "SUMMARY",
            escape_text(_("Prefecture appointment: %(procedure)s") % {"procedure": procedure.name}),
        ),
        ("LOCATION", escape_text(f"{site.name}, {site.full_address}")),
        ("DESCRIPTION", escape_text(_description(appointment))),
        ("TRANSP", "OPAQUE"),
        ("END", "VEVENT"),
        ("END", "VCALENDAR"),
    ]
    return "".join(fold_line(f"{name}:{value}") + CRLF for name, value in properties)
