"""The counter's demo: today's list at the first demo site, with someone checked in.

Four walk-ins (no account) booked by the demo agent for today, one of them
checked in, so that the agent's landing page (``agent:day``) shows a working
day. Booking in the past is refused, so each is booked on a slot of its own two
days ahead, through the booking service, and the slot is then moved to today
(demo data only: what the tests do too). A second run on the same day adds
nothing; each day's run its own people (their document numbers carry the date).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from booking.identity import Identity
from booking.models import Applicant, Appointment, DocumentType, Procedure, Site, Slot
from booking.services import applicant_create, appointment_book, appointment_check_in
from booking.services.counter import day_bounds

# Today's times (local; off the published grid, so no slot is there already) and
# the walk-ins' names.
COUNTER_DAY = [
    (time(9, 5), "Koné", "Mariam"),
    (time(9, 25), "Haddad", "Youssef"),
    (time(10, 5), "Nguyen", "Thi Lan"),
    (time(10, 45), "Mensah", "Kofi"),
]


def counter_day_ensure(*, agent: User, site: Site, procedure: Procedure) -> int:
    """Today's appointments at ``site`` for ``procedure``, the first checked in;
    returns how many were created (0 when today's are there already)."""
    today = timezone.localdate()
    start, end = day_bounds(today)
    if Appointment.objects.filter(
        booked_by=agent, slot__site=site, slot__starts_at__gte=start, slot__starts_at__lt=end
    ).exists():
        return 0
    created = []
    for number, (at, surname, given_names) in enumerate(COUNTER_DAY, start=1):
        document_number = f"99{today:%y%m%d}{number:02d}"
        applicant = Applicant.objects.filter(
            document_type=DocumentType.AGDREF, document_number=document_number
        ).first() or applicant_create(
            actor=agent,
            user=None,
            identity=Identity(
                surname=surname,
                given_names=given_names,
                birth_date=date(1980 + number, number, 10 + number),
                nationality=("ML", "MA", "VN", "GH")[number - 1],
                document_type=DocumentType.AGDREF,
                document_number=document_number,
            ),
            phone=f"+3375{today:%m%d}{number:03d}",
        )
        later = timezone.now() + timedelta(days=2)
        slot = Slot.objects.create(
            site=site,
            procedure=procedure,
            starts_at=later,
            ends_at=later + timedelta(minutes=procedure.duration_minutes),
            capacity=1,
            published_at=timezone.now(),
        )
        appointment = appointment_book(
            actor=agent, applicant=applicant, slot_id=slot.pk, channel="agent"
        )
        starts = timezone.make_aware(datetime.combine(today, at))
        Slot.objects.filter(pk=slot.pk).update(
            starts_at=starts, ends_at=starts + timedelta(minutes=procedure.duration_minutes)
        )
        created.append(appointment)
    first = created[0]
    appointment_check_in(
        actor=agent, reference=first.reference, document_number=first.document_number
    )
    return len(created)
