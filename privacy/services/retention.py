"""The retention purge: personal data past its time, run daily by Celery beat."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from accounts.models import IdentityClaimAttempt, PhoneVerification, Role, User
from audit.models import AuditAction
from audit.services import audit_record, audit_rows_purge
from booking.models import ERASED_TEXT, Applicant, Appointment
from booking.services import appointment_identities_erase, appointments_close_past
from privacy.services.erasure import _applicant_erase, _messages_scrub, account_erase


def months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    year += moment.year
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Purge:
    unconfirmed_deleted: int
    accounts_erased: int
    walk_ins_erased: int
    messages_scrubbed: int
    claims_deleted: int
    appointments_erased: int
    audit_rows_deleted: int


def personal_data_purge(*, now: datetime | None = None) -> Purge:
    """Erase personal data past its retention (``RETENTION_MONTHS`` after the
    person's last appointment) and accounts never confirmed within
    ``ACCOUNTS_UNCONFIRMED_DAYS``. Idempotent; run daily by Celery beat.

    An account whose owner logged in after the cutoff is still in use and is
    kept; one without any appointment goes once unused for as long. Appointment
    rows stay (statistics, the counter's history), and the identity copied onto
    those that ended before the cutoff is erased, whoever's they are
    (``booking.services.appointment_identities_erase``). Audit rows go after
    ``AUDIT_RETENTION_MONTHS``.
    """
    now = now or timezone.now()
    cutoff = months_before(now, settings.RETENTION_MONTHS)
    unconfirmed = User.objects.filter(
        role=Role.APPLICANT,
        date_joined__lt=now - timedelta(days=settings.ACCOUNTS_UNCONFIRMED_DAYS),
    ).filter(Q(email_verified_at__isnull=True) | Q(phone_verified_at__isnull=True))
    # One with appointments is in use (booked before confirmation was required, or
    # by a mediator for it): the retention rule below decides about it.
    unconfirmed = unconfirmed.exclude(
        Exists(Appointment.objects.filter(applicant__user=OuterRef("pk")))
    )
    unconfirmed_count = 0
    for user in unconfirmed.order_by("pk").iterator():
        account_erase(user=user, now=now)
        unconfirmed_count += 1

    expired = Applicant.objects.annotate(last_end=Max("appointments__slot__ends_at")).filter(
        last_end__lt=cutoff
    )
    accounts, walk_ins = 0, 0
    for applicant in expired.select_related("user").order_by("pk").iterator():
        user = applicant.user
        if user is not None:
            if user.last_login and user.last_login >= cutoff:
                continue
            account_erase(user=user, now=now)
            accounts += 1
        elif applicant.surname != ERASED_TEXT:
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action=AuditAction.IDENTITY_ERASED,
                    applicant=applicant,
                    details={"by": "purge"},
                )
                _applicant_erase(applicant, now=now)
            walk_ins += 1
    # An applicant's account with no appointment at all, unused for as long.
    idle = (
        User.objects.filter(role=Role.APPLICANT, date_joined__lt=cutoff)
        .filter(Q(last_login__isnull=True) | Q(last_login__lt=cutoff))
        .exclude(Exists(Appointment.objects.filter(applicant__user=OuterRef("pk"))))
    )
    for user in idle.order_by("pk").iterator():
        account_erase(user=user, now=now)
        accounts += 1
    scrubbed = _messages_scrub(Q(created_at__lt=cutoff), now=now)
    claims, _detail = IdentityClaimAttempt.objects.filter(created_at__lt=cutoff).delete()
    appointments_close_past(now=now)  # beat does it hourly; an active one is not erased
    appointments = appointment_identities_erase(ended_before=cutoff, now=now)
    if appointments:
        audit_record(
            actor=None,
            action=AuditAction.APPOINTMENTS_ANONYMISED,
            details={
                "by": "purge",
                "appointments": appointments,
                "ended_before": cutoff.isoformat(),
            },
        )
    PhoneVerification.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    audit_cutoff = months_before(now, settings.AUDIT_RETENTION_MONTHS)
    audit_rows = audit_rows_purge(cutoff=audit_cutoff)
    if audit_rows:
        audit_record(
            actor=None,
            action=AuditAction.AUDIT_PURGED,
            details={"rows": audit_rows, "older_than": audit_cutoff.isoformat()},
        )
    return Purge(
        unconfirmed_deleted=unconfirmed_count,
        accounts_erased=accounts,
        walk_ins_erased=walk_ins,
        messages_scrubbed=scrubbed,
        claims_deleted=claims,
        appointments_erased=appointments,
        audit_rows_deleted=audit_rows,
    )
