"""The minimal views: booking through the ORM, booking in one SQL statement,
the sold-out path (both booking views answer 409 when the conditional UPDATE
takes no seat) and availability.

The body carries ``slot``, ``applicant`` and ``procedure`` ids: the baseline
has no authentication and no validation, only the essential database work.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from bench.baseline.models import Applicant, Appointment, Outbox, Slot

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_SOLD_OUT = {"code": "slot_full", "detail": "Sold out."}


def _reference() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def book(request: HttpRequest) -> HttpResponse:
    """Conditional UPDATE, then the appointment and its outbox row, through the ORM."""
    data = json.loads(request.body)
    now = timezone.now()
    with transaction.atomic():
        claimed = Slot.objects.filter(pk=data["slot"], booked__lt=F("capacity")).update(
            booked=F("booked") + 1
        )
        if claimed != 1:
            return JsonResponse(_SOLD_OUT, status=409)
        applicant = Applicant.objects.get(pk=data["applicant"])
        appointment = Appointment.objects.create(
            reference=_reference(),
            slot_id=data["slot"],
            procedure_id=data["procedure"],
            applicant_id=applicant.pk,
            identity_key=applicant.identity_key,
            surname=applicant.surname,
            given_names=applicant.given_names,
            birth_date=applicant.birth_date,
            nationality=applicant.nationality,
            document_type=applicant.document_type,
            document_number=applicant.document_number,
            status="booked",
            channel="api",
            booked_by_id=applicant.user_id,
            booked_by_role="applicant",
            reschedule_count=0,
            outside_opening_hours=False,
            created_at=now,
            updated_at=now,
        )
        Outbox.objects.create(
            appointment_id=appointment.pk,
            kind="booking_confirmed",
            payload={"reference": appointment.reference},
            created_at=now,
        )
    return JsonResponse({"reference": appointment.reference, "slot": data["slot"]}, status=201)


_BOOK_SQL = """
WITH claimed AS (
    UPDATE booking_slot SET booked = booked + 1
    WHERE id = %(slot)s AND booked < capacity
    RETURNING id, procedure_id
), appointment AS (
    INSERT INTO booking_appointment (
        reference, slot_id, procedure_id, applicant_id, identity_key, surname,
        given_names, birth_date, nationality, document_type, document_number,
        status, channel, booked_by_id, booked_by_role, reschedule_count,
        outside_opening_hours, created_at, updated_at
    )
    SELECT %(reference)s, claimed.id, claimed.procedure_id, a.id, a.identity_key,
        a.surname, a.given_names, a.birth_date, a.nationality, a.document_type,
        a.document_number, 'booked', 'api', a.user_id, 'applicant', 0, false, now(), now()
    FROM claimed JOIN booking_applicant a ON a.id = %(applicant)s
    RETURNING id, reference
)
INSERT INTO baseline_outbox (appointment_id, kind, payload, created_at)
SELECT id, 'booking_confirmed', json_build_object('reference', reference), now()
FROM appointment
RETURNING (SELECT reference FROM appointment)
"""


def book_raw(request: HttpRequest) -> HttpResponse:
    """The same work in one statement: one round trip, its own transaction."""
    data = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            _BOOK_SQL,
            {"slot": data["slot"], "applicant": data["applicant"], "reference": _reference()},
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse(_SOLD_OUT, status=409)
    return JsonResponse({"reference": row[0], "slot": data["slot"]}, status=201)


def availability(request: HttpRequest) -> HttpResponse:
    """Free public slots of one procedure (by slug), optionally between two local
    days: one indexed query, rows straight to JSON."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.id, st.slug, s.starts_at, s.ends_at, s.capacity - s.booked
            FROM booking_slot s
            JOIN booking_procedure p ON p.id = s.procedure_id
            JOIN booking_site st ON st.id = s.site_id
            WHERE p.slug = %s AND s.pool = 'public' AND s.starts_at >= %s AND s.starts_at < %s
              AND s.published_at <= %s AND s.booked < s.capacity
            ORDER BY s.starts_at, s.site_id
            """,
            [
                request.GET["procedure"],
                max(now, _day(request.GET.get("date_from"), tz) or now),
                _day(request.GET.get("date_to"), tz, 1) or now + timedelta(days=60),
                now,
            ],
        )
        found = cursor.fetchall()
    procedure = request.GET["procedure"]
    rows = [
        {
            "slot": pk,
            "site": site,
            "procedure": procedure,
            "starts_at": starts_at.astimezone(tz).isoformat(),
            "ends_at": ends_at.astimezone(tz).isoformat(),
            "remaining": remaining,
        }
        for pk, site, starts_at, ends_at, remaining in found
    ]
    return HttpResponse(json.dumps(rows), content_type="application/json")


def _day(value: str | None, tz, plus: int = 0) -> datetime | None:
    if not value:
        return None
    day = datetime.strptime(value, "%Y-%m-%d").date() + timedelta(days=plus)
    return datetime.combine(day, time.min, tzinfo=tz)
