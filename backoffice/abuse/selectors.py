"""Reads of the abuse report: one bounded query per signal, over a period.

Each selector reads the rows of its signal since ``since`` (default: the last
``ABUSE_PERIOD_DAYS`` days) in **one** aggregated statement, strongest first,
at most ``ABUSE_ROWS`` rows (the mediators' volume reads one row per mediator,
to compare each with their median). The thresholds are settings
(``config/rules.py``, the abuse report's block). The rows are dicts, ready for
the page and its CSV.

The public transparency page counts the bookings refused as abuse itself
(``allocation.transparency.refused_as_abuse_by_pair``), from the same audit
trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import IdentityClaimAttempt, Role, User
from audit.models import AuditAction, AuditEvent
from booking.models import Applicant, Appointment, AppointmentStatus

# The contacts' section names at most this many identities per row.
CONTACT_IDENTITIES_SHOWN = 10


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    @classmethod
    def last_days(cls, days: int | None = None, *, now: datetime | None = None) -> Period:
        now = now or timezone.now()
        return cls(since=now - timedelta(days=days or settings.ABUSE_PERIOD_DAYS), until=now)


def _period(period: Period | None) -> Period:
    return period or Period.last_days()


def _limit(limit: int | None) -> int:
    return limit or settings.ABUSE_ROWS


def identities_many_accounts(
    *, period: Period | None = None, limit: int | None = None
) -> list[dict]:
    """Identities booked from more than ``ABUSE_ACCOUNTS_PER_IDENTITY``
    accounts (any role) in the period."""
    period = _period(period)
    return list(
        Appointment.objects.filter(
            created_at__gte=period.since, created_at__lt=period.until, booked_by__isnull=False
        )
        .values(
            "applicant_id",
            "applicant__surname",
            "applicant__given_names",
            "applicant__user_id",
        )
        .annotate(
            accounts=Count("booked_by", distinct=True),
            bookings=Count("pk"),
            last_at=Max("created_at"),
        )
        .filter(accounts__gt=settings.ABUSE_ACCOUNTS_PER_IDENTITY)
        .order_by("-accounts", "-bookings", "applicant_id")[: _limit(limit)]
    )


def accounts_many_identities(
    *, period: Period | None = None, limit: int | None = None
) -> list[dict]:
    """Applicants' accounts that booked for more than
    ``ABUSE_IDENTITIES_PER_ACCOUNT`` identities in the period (staff book for
    others by trade: their volume is the mediators' section)."""
    period = _period(period)
    return list(
        Appointment.objects.filter(
            created_at__gte=period.since,
            created_at__lt=period.until,
            booked_by__isnull=False,
            booked_by_role=Role.APPLICANT,
        )
        .values("booked_by_id", "booked_by__email", "booked_by__suspended_at")
        .annotate(
            identities=Count("identity_key", distinct=True),
            bookings=Count("pk"),
            last_at=Max("created_at"),
        )
        .filter(identities__gt=settings.ABUSE_IDENTITIES_PER_ACCOUNT)
        .order_by("-identities", "-bookings", "booked_by_id")[: _limit(limit)]
    )


def contacts_many_identities(
    *, kind: str, period: Period | None = None, limit: int | None = None
) -> list[dict]:
    """Phone numbers (``kind="phone"``) or e-mail addresses (``"email"``) given
    for more than ``ABUSE_IDENTITIES_PER_CONTACT`` identities, with how many
    accounts those identities have. Over the identities on file that booked in
    the period (a contact shared long ago by people who no longer book is no
    signal)."""
    assert kind in ("phone", "email")
    period = _period(period)
    booked = Appointment.objects.filter(
        applicant_id=OuterRef("pk"), created_at__gte=period.since, created_at__lt=period.until
    )
    return list(
        Applicant.objects.exclude(**{kind: ""})
        .filter(Exists(booked))
        .values(contact=F(kind))
        .annotate(
            identities=Count("pk"),
            accounts=Count("user", distinct=True),
            applicant_ids=ArrayAgg("pk", order_by="pk"),
        )
        .filter(identities__gt=settings.ABUSE_IDENTITIES_PER_CONTACT)
        .order_by("-identities", "contact")[: _limit(limit)]
    )


def cancel_rebook(*, period: Period | None = None, limit: int | None = None) -> list[dict]:
    """Identities (and their account) whose cancellations in the period were
    followed, within ``ABUSE_REBOOK_MINUTES``, by a new booking of the same
    procedure by the same identity or the same applicant's account: at least
    ``ABUSE_REBOOK_MIN`` such rebookings, ``ABUSE_REBOOK_PERCENT`` of their
    cancellations or more."""
    period = _period(period)
    window = timedelta(minutes=settings.ABUSE_REBOOK_MINUTES)
    same_booker = Q(
        booked_by_id=OuterRef("booked_by_id"),
        booked_by_role=Role.APPLICANT,
        booked_by__isnull=False,
    )
    rebooked = Appointment.objects.filter(
        Q(identity_key=OuterRef("identity_key")) | same_booker,
        procedure_id=OuterRef("procedure_id"),
        created_at__gte=OuterRef("cancelled_at"),
        created_at__lte=OuterRef("cancelled_at") + window,
    ).exclude(pk=OuterRef("pk"))
    rows = (
        Appointment.objects.filter(
            status=AppointmentStatus.CANCELLED,
            cancelled_at__gte=period.since,
            cancelled_at__lt=period.until,
        )
        .values(
            "applicant_id",
            "applicant__surname",
            "applicant__given_names",
            "applicant__user_id",
            "applicant__user__email",
        )
        .annotate(
            cancellations=Count("pk"),
            rebookings=Count("pk", filter=Exists(rebooked)),
            last_at=Max("cancelled_at"),
        )
        .filter(rebookings__gte=settings.ABUSE_REBOOK_MIN)
        # rebookings * 100 >= percent * cancellations, in the database.
        .filter(rebookings__gte=F("cancellations") * settings.ABUSE_REBOOK_PERCENT / 100.0)
        .order_by("-rebookings", "-cancellations", "applicant_id")[: _limit(limit)]
    )
    result = list(rows)
    for row in result:
        row["percent"] = round(100 * row["rebookings"] / row["cancellations"])
    return result


def check_in_mismatches(*, period: Period | None = None, limit: int | None = None) -> list[dict]:
    """Appointments whose check-in the counter refused (another document than
    the one booked: ``APPOINTMENT_CHECK_IN_REFUSED``), with who booked them."""
    period = _period(period)
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED,
            occurred_at__gte=period.since,
            occurred_at__lt=period.until,
        )
        .values(
            "appointment_id",
            "appointment_reference",
            "applicant_id",
            "applicant__surname",
            "applicant__given_names",
            "appointment__booked_by_id",
            "appointment__booked_by__email",
            "appointment__booked_by_role",
        )
        .annotate(attempts=Count("pk"), last_at=Max("occurred_at"))
        .order_by("-last_at", "appointment_reference")[: _limit(limit)]
    )


def mediators_unusual(*, period: Period | None = None) -> tuple[list[dict], float]:
    """Mediators whose bookings in the period are more than
    ``ABUSE_MEDIATOR_VOLUME_FACTOR`` times the median of the mediators who
    booked (and at least ``ABUSE_MEDIATOR_VOLUME_MIN``), or who booked at least
    ``ABUSE_MEDIATOR_OUTSIDE_HOURS_MIN`` times outside their point's opening
    hours; and that median. One query: a row per mediator who booked."""
    period = _period(period)
    everyone = list(
        Appointment.objects.filter(
            created_at__gte=period.since,
            created_at__lt=period.until,
            booked_by_role=Role.MEDIATOR,
            booked_by__isnull=False,
        )
        .values("booked_by_id", "booked_by__email", "booked_by__suspended_at", "access_point__name")
        .annotate(
            bookings=Count("pk"),
            outside_hours=Count("pk", filter=Q(outside_opening_hours=True)),
            last_at=Max("created_at"),
        )
        .order_by("-bookings", "booked_by_id")
    )
    # One row per mediator and point (a mediator moved mid-period has two):
    # the median is over mediators.
    per_mediator: dict[int, int] = {}
    for row in everyone:
        per_mediator[row["booked_by_id"]] = (
            per_mediator.get(row["booked_by_id"], 0) + row["bookings"]
        )
    middle = float(median(per_mediator.values())) if per_mediator else 0.0
    ceiling = max(middle * settings.ABUSE_MEDIATOR_VOLUME_FACTOR, 0)
    flagged = []
    for row in everyone:
        total = per_mediator[row["booked_by_id"]]
        row["high_volume"] = total > ceiling and total >= settings.ABUSE_MEDIATOR_VOLUME_MIN
        row["times_median"] = round(total / middle, 1) if middle else None
        if row["high_volume"] or row["outside_hours"] >= settings.ABUSE_MEDIATOR_OUTSIDE_HOURS_MIN:
            flagged.append(row)
    return flagged[: settings.ABUSE_ROWS], middle


def refused_claims(*, period: Period | None = None, limit: int | None = None) -> list[dict]:
    """Accounts with at least ``ABUSE_REFUSED_CLAIMS_MIN`` refused identity
    claims in the period (they typed an identity another record holds)."""
    period = _period(period)
    return list(
        IdentityClaimAttempt.objects.filter(
            created_at__gte=period.since, created_at__lt=period.until, account__isnull=False
        )
        .values("account_id", "account__email", "account__suspended_at")
        .annotate(
            attempts=Count("pk"),
            identities=Count("identity_key", distinct=True),
            addresses=Count("ip", distinct=True),
            last_at=Max("created_at"),
        )
        .filter(attempts__gte=settings.ABUSE_REFUSED_CLAIMS_MIN)
        .order_by("-attempts", "account_id")[: _limit(limit)]
    )


def accounts_with_suspension() -> QuerySet[User]:
    """Accounts with what the suspension API shows of them: who suspended them
    (joined) and ``suspension``, the id of their latest ``ACCOUNT_SUSPENDED``
    audit row (the number the person quotes to contest, ``S-<id>``; ``None`` when
    there is none). One query, whatever the rows."""
    latest = (
        AuditEvent.objects.filter(
            action=AuditAction.ACCOUNT_SUSPENDED, subject_user_id=OuterRef("pk")
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    return User.objects.select_related("suspended_by").annotate(suspension=Subquery(latest))


def accounts_suspended() -> QuerySet[User]:
    """The accounts suspended now (``accounts_with_suspension``)."""
    return accounts_with_suspension().filter(suspended_at__isnull=False)


__all__ = [
    "Period",
    "accounts_many_identities",
    "accounts_suspended",
    "accounts_with_suspension",
    "cancel_rebook",
    "check_in_mismatches",
    "contacts_many_identities",
    "identities_many_accounts",
    "mediators_unusual",
    "refused_claims",
]
