"""Export, deletion and retention of personal data."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from accounts import errors
from accounts.models import STAFF_ROLES, IdentityClaimAttempt, PhoneVerification, Role, User
from accounts.selectors import personal_data
from audit.models import AuditAction
from audit.services import audit_record, audit_rows_purge
from core.errors import Forbidden


def personal_data_export(*, user: User, now: datetime | None = None) -> dict:
    """Everything Guichet holds about ``user`` (``accounts.selectors.personal_data``),
    stamped with the moment of export; the export itself is audited."""
    now = now or timezone.now()
    data = personal_data(user)
    data["exported_at"] = now.isoformat()
    audit_record(actor=user, action=AuditAction.PERSONAL_DATA_EXPORTED, subject_user=user)
    return data


def _messages_scrub(condition: Q, *, now: datetime) -> int:
    """Blank the content and address of sent or failed messages. Messages still
    owed (pending, sending) keep theirs: they are on their way."""
    from notifications.models import Message, MessageStatus

    return (
        Message.objects.filter(condition)
        .exclude(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
        .exclude(destination="")
        .update(destination="", subject="", text="", html="", updated_at=now)
    )


def _applicant_erase(applicant, *, now: datetime) -> None:
    """Erase what the applicant's record holds of a person.

    A record no appointment points to is deleted (with its alert
    subscriptions). One that appointments point to cannot be (they keep the
    counter's history and statistics): it is detached from the account, its
    contact details blanked, and its identity replaced by an erased marker so
    that the document can be registered again. The identity copied onto each
    appointment stays: a database trigger forbids editing it (see README).
    """
    _messages_scrub(Q(applicant=applicant), now=now)
    if not applicant.appointments.exists():
        applicant.delete()
        return
    applicant.alert_subscriptions.all().delete()
    applicant.user = None
    applicant.surname = "-"
    applicant.given_names = "-"
    applicant.birth_date = date(1900, 1, 1)
    applicant.document_number = f"ERASED{applicant.pk}"
    applicant.phone = ""
    applicant.email = ""
    applicant.save(
        update_fields=[
            "user",
            "surname",
            "given_names",
            "birth_date",
            "document_number",
            "phone",
            "email",
        ]
    )


@dataclass(frozen=True)
class Erasure:
    cancelled: int
    applicant_kept: bool


def account_erase(*, user: User, actor: User | None = None, now: datetime | None = None) -> Erasure:
    """Delete ``user``'s account and erase its personal data.

    Future appointments are cancelled through ``booking.services.
    appointment_cancel`` (the seat is freed and offered again; the person is
    told, at the address they had). Then the identity record is erased (see
    ``_applicant_erase``), the account's messages blanked and the account
    deleted. Refused identity claims keep their key for the abuse report,
    without the account. Audited with ``actor`` (the owner; ``None`` for the
    retention purge).
    """
    from booking.models import Applicant, AppointmentStatus
    from booking.services import appointment_cancel

    now = now or timezone.now()
    cancelled = 0
    with transaction.atomic():
        applicant = Applicant.objects.filter(user=user).first()
        if applicant is not None:
            future = applicant.appointments.filter(
                status=AppointmentStatus.BOOKED, slot__starts_at__gt=now
            ).order_by("pk")
            for appointment in future:
                appointment_cancel(actor=user, appointment=appointment)
                cancelled += 1
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_DELETED,
            subject_user=user,
            applicant=applicant,
            details={
                "by": "owner" if actor is not None else "purge",
                "cancelled": cancelled,
            },
        )
        if applicant is not None:
            _applicant_erase(applicant, now=now)
        _messages_scrub(Q(user=user), now=now)
        User.objects.filter(pk=user.pk).delete()
    return Erasure(
        cancelled=cancelled,
        applicant_kept=applicant is not None and Applicant.objects.filter(pk=applicant.pk).exists(),
    )


def account_delete(*, user: User, password: str) -> Erasure:
    """The applicant deletes their own account, after typing their password."""
    if not user.check_password(password):
        raise errors.WrongPassword()
    if user.role in STAFF_ROLES:
        # Staff accounts are closed by an administrator: their actions stay attributable.

        raise Forbidden()
    return account_erase(user=user, actor=user)


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
    from booking.models import Applicant, Appointment
    from booking.services import appointment_identities_erase, appointments_close_past

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
        elif applicant.surname != "-":
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
