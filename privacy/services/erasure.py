"""Deleting an account and erasing what Guichet holds of a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import errors
from accounts.models import STAFF_ROLES, User
from audit.models import AuditAction
from audit.services import audit_record
from booking.models import (
    ERASED_BIRTH_DATE,
    ERASED_KEY_PREFIX,
    ERASED_TEXT,
    Applicant,
    AppointmentStatus,
)
from booking.services import appointment_cancel
from core.errors import Forbidden
from notifications.models import Message, MessageStatus


def _messages_scrub(condition: Q, *, now: datetime) -> int:
    """Blank the content and address of sent or failed messages. Messages still
    owed (pending, sending) keep theirs: they are on their way."""
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
    contact details blanked, and its identity replaced by the erased markers of
    ``booking.models`` so that the document can be registered again. The
    identity copied onto each appointment stays: a database trigger forbids
    editing it (docs/concurrency.md).
    """
    _messages_scrub(Q(applicant=applicant), now=now)
    if not applicant.appointments.exists():
        applicant.delete()
        return
    applicant.alert_subscriptions.all().delete()
    applicant.user = None
    applicant.surname = ERASED_TEXT
    applicant.given_names = ERASED_TEXT
    applicant.birth_date = ERASED_BIRTH_DATE
    # Stored normalised ("ERASED" and the record's id): unique, as the identity key must be.
    applicant.document_number = f"{ERASED_KEY_PREFIX}{applicant.pk}"
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
