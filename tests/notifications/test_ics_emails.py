"""The ``.ics`` attached to the appointment e-mails: one calendar event (one
UID) whose versions a calendar replaces in order, each built from the event
its e-mail tells of: booked and moved (METHOD:REQUEST), then cancelled
(METHOD:CANCEL, STATUS:CANCELLED, one SEQUENCE more than the last move)."""

from __future__ import annotations

import email
import re
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import dateformat, timezone, translation

from booking import services as booking
from booking.ics import appointment_ics
from booking.models import Appointment
from notifications import services
from notifications.models import Message
from tests import factories

pytestmark = pytest.mark.django_db

WHEN = re.compile(r"When: (?P<date>.+), (?P<time>\d\d:\d\d)")


def _properties(ics: str) -> dict[str, list[str]]:
    """Property name (without parameters) to values, lines unfolded (RFC 5545, 3.1)."""
    found: dict[str, list[str]] = {}
    for line in ics.replace("\r\n ", "").split("\r\n"):
        if line:
            name, value = line.split(":", 1)
            found.setdefault(name.split(";", 1)[0], []).append(value)
    return found


def _sent(appointment, key: str):
    """Send the e-mail owed for ``key`` and return it (from the locmem outbox)."""
    row = Message.objects.get(appointment=appointment, template_key=key, channel="email")
    before = len(mail.outbox)
    assert services.message_send(message_id=row.pk).status == "sent"
    [sent] = mail.outbox[before:]
    return sent


def _calendar(sent) -> tuple[dict[str, list[str]], str]:
    [(name, content, mimetype)] = [a for a in sent.attachments if a[2].startswith("text/calendar")]
    assert name.endswith(".ics")
    return _properties(content), mimetype


def _dtstart_local(props):
    moment = datetime.strptime(props["DTSTART"][0], "%Y%m%dT%H%M%SZ")
    return timezone.localtime(moment.replace(tzinfo=UTC))


@pytest.fixture
def moved_twice_then_cancelled(site, procedure):
    applicant = factories.ApplicantFactory(preferred_language="en")
    first = factories.SlotFactory(site=site, procedure=procedure)
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=first.pk
    )
    for hours in (5, 9):
        later = factories.SlotFactory(
            site=site, procedure=procedure, starts_at=first.starts_at + timedelta(hours=hours)
        )
        booking.appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=later.pk
        )
    booking.appointment_cancel(actor=applicant.user, appointment=appointment)
    return appointment, first, later


def test_booking_moves_and_cancellation_are_versions_of_one_event(moved_twice_then_cancelled):
    appointment, first, last = moved_twice_then_cancelled
    # Sent in the order owed, after everything happened (a slow queue): each
    # still tells of its own event.
    booked = _sent(appointment, "appointment_booked")
    moves = []
    for row in Message.objects.filter(
        appointment=appointment, template_key="appointment_rescheduled", channel="email"
    ).order_by("pk"):
        services.message_send(message_id=row.pk)
        moves.append(mail.outbox[-1])
    cancelled = _sent(appointment, "appointment_cancelled")

    calendars = [_calendar(sent) for sent in (booked, *moves, cancelled)]
    props = [p for p, _type in calendars]
    assert {p["UID"][0] for p in props} == {f"{appointment.reference}@guichet"}
    assert [int(p["SEQUENCE"][0]) for p in props] == [0, 1, 2, 3]
    assert [p["METHOD"][0] for p in props] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert [p["STATUS"][0] for p in props] == ["CONFIRMED", "CONFIRMED", "CONFIRMED", "CANCELLED"]
    # The MIME type names the same method (RFC 6047).
    assert [t.split(";")[1].strip() for _p, t in calendars] == [
        "method=REQUEST",
        "method=REQUEST",
        "method=REQUEST",
        "method=CANCEL",
    ]
    # iTIP requires the organizer and the attendee (RFC 5546).
    assert all(p["ORGANIZER"][0].startswith("mailto:") for p in props)
    assert all(p["ATTENDEE"] == [f"mailto:{appointment.applicant.email}"] for p in props)
    # The booking's event is at the booked time, the last version at the last one.
    assert _dtstart_local(props[0]) == timezone.localtime(first.starts_at)
    assert _dtstart_local(props[3]) == timezone.localtime(last.starts_at)


def test_the_cancellation_calendar_is_at_the_time_its_text_states(moved_twice_then_cancelled):
    appointment, _first, last = moved_twice_then_cancelled

    cancelled = _sent(appointment, "appointment_cancelled")

    props, _type = _calendar(cancelled)
    stated = WHEN.search(cancelled.body)
    assert stated is not None, cancelled.body
    start = _dtstart_local(props)
    with translation.override("en"):
        assert stated["date"] == dateformat.format(start, "l j F Y")
    assert stated["time"] == start.strftime("%H:%M")
    assert start == timezone.localtime(last.starts_at)


def test_a_cancellation_resent_later_keeps_its_version(moved_twice_then_cancelled, settings):
    """A retry builds the .ics again: from the event kept with the message,
    so a second attempt attaches the same calendar as the first would have."""
    appointment, _first, _last = moved_twice_then_cancelled
    row = Message.objects.get(
        appointment=appointment, template_key="appointment_cancelled", channel="email"
    )
    settings.EMAIL_BACKEND = "tests.notifications.test_ics_emails.Failing"

    assert services.message_send(message_id=row.pk).status == "retry"
    Message.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert services.message_send(message_id=row.pk).status == "sent"
    props, _type = _calendar(mail.outbox[-1])
    assert (props["METHOD"], props["SEQUENCE"], props["STATUS"]) == (
        ["CANCEL"],
        ["3"],
        ["CANCELLED"],
    )


class Failing:
    """An e-mail backend whose server answers 451."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPResponseException(451, b"Try again later")


def test_the_downloaded_calendar_of_a_cancelled_appointment_outranks_its_last_move(
    moved_twice_then_cancelled,
):
    appointment, _first, _last = moved_twice_then_cancelled
    fresh = Appointment.objects.select_related("slot__site", "procedure").get(pk=appointment.pk)

    props = _properties(appointment_ics(fresh))

    assert props["SEQUENCE"] == ["3"] and props["STATUS"] == ["CANCELLED"]
    assert props["METHOD"] == ["PUBLISH"]


def test_over_smtp_the_cancellation_calendar_part_names_its_method_once(
    moved_twice_then_cancelled, smtp
):
    appointment, _first, _last = moved_twice_then_cancelled
    row = Message.objects.get(
        appointment=appointment, template_key="appointment_cancelled", channel="email"
    )

    assert services.message_send(message_id=row.pk).status == "sent"

    parsed = email.message_from_bytes(smtp.messages[-1]["data"])
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_params() == [("text/calendar", ""), ("method", "CANCEL"), ("charset", "utf-8")]
    assert "METHOD:CANCEL\r\n" in part.get_payload(decode=True).decode()
