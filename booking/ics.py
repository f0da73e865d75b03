"""An appointment as an iCalendar file (RFC 5545), written by hand.

``appointment_ics`` is a pure function of its arguments (no clock, no
request): the web page offers the appointment as it is now (``METHOD:PUBLISH``);
the e-mails attach the event they tell of (``notifications.email``): the slot
and version of that event, ``METHOD:REQUEST`` for a booking or a reschedule,
``METHOD:CANCEL`` for a cancellation (RFC 5546). Texts are in the active language.

One ``UID`` per appointment (its reference) and a ``SEQUENCE`` that grows with
each version (``ics_sequence``): a calendar replaces the event it holds only
with a higher one, so a cancellation must count one more than the last
reschedule, or the calendar keeps the appointment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext as _

from booking.models import Appointment, AppointmentStatus, Slot

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


def ics_sequence(appointment: Appointment) -> int:
    """The version of the appointment's calendar event as it is now: 0 when
    booked, one more for each reschedule, and one more again once cancelled."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    return appointment.reschedule_count + (1 if cancelled else 0)


def _description(appointment: Appointment, slot: Slot) -> str:
    procedure = appointment.procedure
    site = slot.site
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


def appointment_ics(
    appointment: Appointment,
    *,
    slot: Slot | None = None,
    sequence: int | None = None,
    cancelled: bool | None = None,
    method: str = "PUBLISH",
    stamp: datetime | None = None,
    organizer: str = "",
    attendee: str = "",
) -> str:
    """The VCALENDAR text for ``appointment``, with CRLF line endings.

    Needs ``appointment.procedure`` and the slot's site (select them with the
    appointment). By default the appointment as it is now; an e-mail passes
    the event it tells of instead: ``slot`` (the slot at the event),
    ``sequence`` and ``cancelled`` (its version), ``method`` (``REQUEST`` or
    ``CANCEL``), ``stamp`` (when it happened; default the last change), and
    the ``organizer`` and ``attendee`` addresses that iTIP methods require.
    """
    slot = slot or appointment.slot
    site = slot.site
    procedure = appointment.procedure
    if cancelled is None:
        cancelled = appointment.status == AppointmentStatus.CANCELLED
    if sequence is None:
        sequence = ics_sequence(appointment)
    # RFC 5546 wants an ORGANIZER for PUBLISH too: the prefecture's address.
    organizer = organizer or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    people = []
    if organizer:
        people.append(("ORGANIZER", f"mailto:{organizer}"))
    if attendee:
        # Booked by the person: accepted already, no answer expected.
        people.append(
            ("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE", f"mailto:{attendee}")
        )
    properties = [
        ("BEGIN", "VCALENDAR"),
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", method),
        ("BEGIN", "VEVENT"),
        ("UID", f"{appointment.reference}@guichet"),
        ("DTSTAMP", format_utc(stamp or appointment.updated_at)),
        ("DTSTART", format_utc(slot.starts_at)),
        ("DTEND", format_utc(slot.ends_at)),
        ("SEQUENCE", str(sequence)),
        ("STATUS", "CANCELLED" if cancelled else "CONFIRMED"),
        *people,
        (
            "SUMMARY",
            escape_text(_("Prefecture appointment: %(procedure)s") % {"procedure": procedure.name}),
        ),
        ("LOCATION", escape_text(f"{site.name}, {site.full_address}")),
        ("DESCRIPTION", escape_text(_description(appointment, slot))),
        ("TRANSP", "OPAQUE"),
        ("END", "VEVENT"),
        ("END", "VCALENDAR"),
    ]
    return "".join(fold_line(f"{name}:{value}") + CRLF for name, value in properties)
