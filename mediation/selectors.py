"""Reads of mediation that more than one caller needs (the console, the API,
the services).

A mediator finds a person who is not yet one of their point's people only
with what the person in front of them holds: their document number and date
of birth together, or a booking reference and date of birth. Never by name,
never by browsing. The people of a point (``people_of_point``) are theirs to
see and act for, with a valid consent for each action.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role, User
from booking import permissions
from booking.identity import normalize_document_number
from booking.models import Applicant, Appointment, reference_parse
from mediation.models import (
    AccessPoint,
    CapRaise,
    Consent,
    ConsentPurpose,
    MediatorDayCount,
    OpeningPeriod,
    PointDayCount,
)


def _mediator_of_point(actor: User) -> bool:
    return bool(
        actor.is_authenticated
        and actor.is_active
        and actor.role == Role.MEDIATOR
        and actor.access_point_id is not None
    )


# --- Finding a person ------------------------------------------------------------------


def people_find(*, actor: User, document_number: str, birth_date: date) -> list[Applicant]:
    """The people whose document number (after normalisation) and date of birth
    are exactly these: for a mediator of an access point only (anyone else
    finds nobody). Several when the same passport number exists in two
    countries. Both are required: an empty number finds nobody."""
    if not _mediator_of_point(actor) or not isinstance(birth_date, date):
        return []
    number = normalize_document_number(document_number or "")
    if not number or len(number) > Applicant._meta.get_field("document_number").max_length:
        return []
    return list(
        Applicant.objects.filter(document_number=number, birth_date=birth_date).order_by("pk")
    )


def person_by_reference(*, actor: User, reference: str, birth_date: date) -> Applicant | None:
    """The person of the appointment ``reference`` if their date of birth is
    ``birth_date`` (on the booking or on file now), for a mediator of an access
    point only; else ``None``."""
    if not _mediator_of_point(actor) or not isinstance(birth_date, date):
        return None
    parsed = reference_parse(reference or "")
    if parsed is None:
        return None
    appointment = (
        Appointment.objects.filter(reference=parsed)
        .filter(Q(birth_date=birth_date) | Q(applicant__birth_date=birth_date))
        .select_related("applicant")
        .first()
    )
    return appointment.applicant if appointment is not None else None


def people_of_point(access_point_id: int, *, today: date | None = None) -> Q:
    """A filter on ``Applicant``: the point's people (``booking.permissions.people_of_point``:
    registered there, booked for there, or with a consent to it valid ``today``)."""
    return permissions.people_of_point(access_point_id, today=today)


# --- Consents ---------------------------------------------------------------------------


def consents_of(applicant: Applicant, access_point_id: int) -> QuerySet[Consent]:
    """Every consent ``applicant`` gave to the point, valid or not, newest first."""
    return Consent.objects.filter(applicant=applicant, access_point_id=access_point_id).order_by(
        "-given_at", "-pk"
    )


def _valid_on(day: date) -> Q:
    return Q(withdrawn_at__isnull=True, valid_until__gte=day)


def consent_valid(
    *, applicant: Applicant, access_point_id: int | None, purpose: str, now: datetime | None = None
) -> Consent | None:
    """The newest consent of ``applicant`` to the point that is valid at ``now``
    (not withdrawn, ``valid_until`` not past) and covers ``purpose``, or ``None``."""
    if access_point_id is None or applicant.pk is None:
        return None
    today = timezone.localdate(now or timezone.now())
    return (
        Consent.objects.filter(
            _valid_on(today),
            applicant_id=applicant.pk,
            access_point_id=access_point_id,
            purposes__contains=[purpose],
        )
        .order_by("-given_at", "-pk")
        .first()
    )


def contact_channels_consented(
    applicant_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, set[str]]:
    """For each of ``applicant_ids``, the contact purposes (``contact_sms``,
    ``contact_email``) of its consents in force at ``now``, to any point; people
    with none are absent. One query."""
    today = timezone.localdate(now or timezone.now())
    contact = {ConsentPurpose.CONTACT_SMS, ConsentPurpose.CONTACT_EMAIL}
    consented: dict[int, set[str]] = {}
    for applicant_id, purposes in Consent.objects.filter(
        _valid_on(today),
        applicant_id__in=list(applicant_ids),
        purposes__overlap=sorted(contact),
    ).values_list("applicant_id", "purposes"):
        consented.setdefault(applicant_id, set()).update(contact.intersection(purposes))
    return consented


def consents_pending(access_point_id: int, *, now: datetime | None = None) -> QuerySet[Consent]:
    """The point's consents still in force (not withdrawn, not expired), soonest
    to expire first: what its page lists."""
    today = timezone.localdate(now or timezone.now())
    return (
        Consent.objects.filter(_valid_on(today), access_point_id=access_point_id)
        .select_related("applicant", "mediator")
        .order_by("valid_until", "pk")
    )


# --- Opening hours -----------------------------------------------------------------------


def is_outside_opening_hours(*, access_point_id: int, at: datetime) -> bool:
    """Is ``at`` (local time) outside every opening period of the point? A point
    with no periods at all is never outside them."""
    local = timezone.localtime(at)
    periods = list(
        OpeningPeriod.objects.filter(access_point_id=access_point_id).values_list(
            "weekday", "opens", "closes"
        )
    )
    if not periods:
        return False
    moment = local.time()
    return not any(
        weekday == local.weekday() and opens <= moment < closes
        for weekday, opens, closes in periods
    )


# --- Daily caps ----------------------------------------------------------------------------


def point_cap(*, access_point_id: int, day: date) -> int:
    """The point's cap of mediator bookings on ``day``: the setting plus the day's raises."""
    raised = CapRaise.objects.filter(
        access_point_id=access_point_id, day=day, mediator__isnull=True
    ).aggregate(extra=Sum("extra"))["extra"]
    return settings.MEDIATION_DAILY_CAP_PER_POINT + (raised or 0)


def mediator_cap(*, mediator_id: int, day: date) -> int:
    """The mediator's cap of bookings on ``day``: the setting plus the day's raises."""
    raised = CapRaise.objects.filter(mediator_id=mediator_id, day=day).aggregate(
        extra=Sum("extra")
    )["extra"]
    return settings.MEDIATION_DAILY_CAP_PER_MEDIATOR + (raised or 0)


def day_usage(*, access_point: AccessPoint, day: date) -> dict:
    """The day's bookings against the caps, for the point's page::

        {"day": day,
         "point": {"count": 12, "cap": 60},
         "mediators": [{"mediator": <User>, "count": 5, "cap": 20}, ...]}

    ``mediators``: the point's active mediators, by e-mail.
    """
    point_count = (
        PointDayCount.objects.filter(access_point=access_point, day=day)
        .values_list("booked", flat=True)
        .first()
    )
    mediators = list(
        User.objects.filter(role=Role.MEDIATOR, access_point=access_point, is_active=True).order_by(
            "email"
        )
    )
    ids = [mediator.pk for mediator in mediators]
    counts = dict(
        MediatorDayCount.objects.filter(mediator_id__in=ids, day=day).values_list(
            "mediator_id", "booked"
        )
    )
    raises: dict[int, int] = {}
    for mediator_id, extra in CapRaise.objects.filter(mediator_id__in=ids, day=day).values_list(
        "mediator_id", "extra"
    ):
        raises[mediator_id] = raises.get(mediator_id, 0) + extra
    return {
        "day": day,
        "point": {
            "count": point_count or 0,
            "cap": point_cap(access_point_id=access_point.pk, day=day),
        },
        "mediators": [
            {
                "mediator": mediator,
                "count": counts.get(mediator.pk, 0),
                "cap": settings.MEDIATION_DAILY_CAP_PER_MEDIATOR + raises.get(mediator.pk, 0),
            }
            for mediator in mediators
        ],
    }


def appointments_of_point(access_point_id: int) -> QuerySet[Appointment]:
    """The appointments the point's mediators booked, soonest first (the point's page
    filters them by day or status)."""
    return (
        Appointment.objects.filter(access_point_id=access_point_id)
        .select_related("slot__site", "procedure", "applicant", "booked_by")
        .order_by("slot__starts_at", "pk")
    )
