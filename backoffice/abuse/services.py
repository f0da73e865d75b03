"""Suspending an account from the abuse report, and lifting the suspension.

Here, in the back office, because a suspension reaches into booking (the
account's appointments are cancelled through ``appointment_cancel``, so the
freed seats follow the ordinary path: to the waiting list in a ``queue``
procedure, back after the random delay in an ``open`` one) and allocation
(its entries leave the list through ``waitlist_leave``, which withdraws their
open offers and offers the seats to the next people). The account's flag
lives in accounts (``User.suspended_at``, ``suspended_by``,
``suspension_reason``) with ``is_active`` off: no login, no session, no API
token (they are revoked too).

Supervisors only (``accounts.permissions.can_suspend_account``), counted in
the ``abuse_suspensions`` rate limits, in one transaction, audited
(``ACCOUNT_SUSPENDED``, ``ACCOUNT_SUSPENSION_LIFTED``); the person is told by
e-mail (and SMS to a confirmed number) with the reason and how to contest.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from accounts.permissions import can_search_audit, can_suspend_account
from accounts.services import sessions_and_tokens_end
from allocation.models import ENTRY_IN_FORCE, WaitlistEntry
from allocation.services import waitlist_leave
from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_record
from backoffice import errors
from backoffice.abuse import messages
from booking.models import Appointment, AppointmentStatus
from booking.services import appointment_cancel
from core import ratelimit
from core.errors import Forbidden

REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class Suspension:
    """What a suspension did: its audit row's id, the references of the
    appointments it cancelled, the waiting-list entries that left."""

    event_id: int
    cancelled: list[str]
    entries_left: list[int]


def _check(*, actor: User, user: User) -> None:
    if not can_search_audit(actor):
        raise Forbidden()
    if not can_suspend_account(actor, user):
        raise errors.AccountNotSuspendable()


def _released(user: User) -> tuple[Q, Q]:
    """Filters on ``Appointment`` and ``WaitlistEntry``: what a suspension of
    ``user`` releases. The account's own identity's, and for an applicant's
    account whatever it booked or joined (staff book for others: their
    bookings stay with the people they are for)."""
    appointments = Q(applicant__user=user)
    entries = Q(applicant__user=user)
    if user.role == Role.APPLICANT:
        appointments |= Q(booked_by=user)
        entries |= Q(created_by=user)
    return appointments, entries


def account_suspend(*, actor: User, user: User, reason: str) -> Suspension:
    """Suspend ``user``: no login nor API token any more (sessions ended,
    tokens revoked), its future appointments cancelled (the audit rows carry
    ``{"suspension": <id>}``), its waiting-list entries in force left (their
    open offers withdrawn), the person told with ``reason``. One transaction;
    nothing changes if any step refuses.

    Raises ``Forbidden`` (not a supervisor), ``AccountNotSuspendable`` (their
    own, a supervisor's, an administrator's, a closed account),
    ``SuspensionReasonInvalid`` (empty or too long), ``AccountAlreadySuspended``
    or ``RateLimited``.
    """
    _check(actor=actor, user=user)
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise errors.SuspensionReasonInvalid(max=REASON_MAX_LENGTH)
    ratelimit.hit("abuse_suspensions", account=actor.pk, ip=client_ip())
    now = timezone.now()
    appointments_q, entries_q = _released(user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.suspended_at is not None:
            raise errors.AccountAlreadySuspended()
        if not locked.is_active:
            raise errors.AccountNotSuspendable()
        locked.is_active = False
        locked.suspended_at = now
        locked.suspended_by = actor
        locked.suspension_reason = reason
        locked.save(
            update_fields=["is_active", "suspended_at", "suspended_by", "suspension_reason"]
        )
        future = list(
            Appointment.objects.filter(
                appointments_q, status=AppointmentStatus.BOOKED, slot__starts_at__gt=now
            )
            .select_related("slot", "procedure", "applicant")
            .order_by("pk")
        )
        entries = list(
            WaitlistEntry.objects.filter(entries_q, status__in=ENTRY_IN_FORCE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        event = audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_SUSPENDED,
            subject_user=locked,
            details={
                "reason": reason,
                "role": locked.role,
                "appointments": [appointment.reference for appointment in future],
                "waitlist_entries": entries,
            },
        )
        sessions_and_tokens_end(actor=actor, user=locked, reason="suspended")
        for appointment in future:
            appointment_cancel(actor=actor, appointment=appointment, suspension=event.pk)
        for entry_id in entries:
            waitlist_leave(actor=actor, entry=entry_id)
        messages.messages_owe(user=locked, kind=messages.SUSPENDED, event_id=event.pk, now=now)
    user.is_active = False
    user.suspended_at, user.suspended_by, user.suspension_reason = now, actor, reason
    return Suspension(
        event_id=event.pk,
        cancelled=[appointment.reference for appointment in future],
        entries_left=entries,
    )


def account_suspension_lift(*, actor: User, user: User) -> User:
    """Lift ``user``'s suspension: the account may log in again (its cancelled
    appointments and left entries do not come back: the seats went to others).
    Audited with the suspension it ends; the person is told.

    Raises ``Forbidden``, ``AccountNotSuspendable``, ``AccountNotSuspended`` or
    ``RateLimited``.
    """
    _check(actor=actor, user=user)
    ratelimit.hit("abuse_suspensions", account=actor.pk, ip=client_ip())
    now = timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.suspended_at is None:
            raise errors.AccountNotSuspended()
        details = {
            "suspended_at": locked.suspended_at.isoformat(),
            "suspended_by": locked.suspended_by_id,
            "reason": locked.suspension_reason,
        }
        locked.is_active = True
        locked.suspended_at = None
        locked.suspended_by = None
        locked.suspension_reason = ""
        locked.save(
            update_fields=["is_active", "suspended_at", "suspended_by", "suspension_reason"]
        )
        event = audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_SUSPENSION_LIFTED,
            subject_user=locked,
            details=details,
        )
        messages.messages_owe(user=locked, kind=messages.LIFTED, event_id=event.pk, now=now)
    return locked


__all__ = ["REASON_MAX_LENGTH", "Suspension", "account_suspend", "account_suspension_lift"]
