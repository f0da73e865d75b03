"""Writing the audit trail. Services call ``audit_record`` inside their own
transaction, so the row exists exactly when the change it records does."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

from audit.context import client_ip
from audit.models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from accounts.models import User
    from booking.models import Applicant, Appointment


def audit_record(
    *,
    actor: User | None,
    action: AuditAction | str,
    subject_user: User | None = None,
    applicant: Applicant | None = None,
    appointment: Appointment | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Insert one audit row. ``actor`` is ``None`` for the system (a task, a command).

    ``applicant`` defaults to the appointment's. ``details`` must be JSON-serialisable
    and hold what a supervisor needs to understand the change (a reason, the
    fields before and after), never a password, code or token.
    """
    event = audit_event(
        actor=actor,
        action=action,
        subject_user=subject_user,
        applicant=applicant,
        appointment=appointment,
        details=details,
    )
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    actor: User | None,
    action: AuditAction | str,
    subject_user: User | None = None,
    applicant: Applicant | None = None,
    appointment: Appointment | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The row ``audit_record`` inserts, not saved: for a service that writes it
    within a statement of its own (the booking's one-statement path)."""
    if applicant is None and appointment is not None:
        applicant_id = appointment.applicant_id
    else:
        applicant_id = applicant.pk if applicant is not None else None
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent(
        action=action,
        actor_id=actor.pk if authenticated else None,
        actor_label=actor.email if authenticated else "",
        actor_role=actor.role if authenticated else "",
        subject_user_id=subject_user.pk if subject_user is not None else None,
        applicant_id=applicant_id,
        appointment_id=appointment.pk if appointment is not None else None,
        appointment_reference=appointment.reference if appointment is not None else "",
        ip=client_ip(),
        details=details or {},
    )


def audit_rows_purge(*, cutoff: datetime) -> int:
    """Delete the audit rows older than ``cutoff`` (the retention purge) and
    return how many went.

    Where ``manage.py db_grants`` has run, the runtime role has no DELETE on the
    trail: it goes through ``audit_purge(cutoff)``, the owner's function, which
    refuses a cutoff younger than the retention it was granted with. Elsewhere
    (one role, development, tests) a plain DELETE, which the trigger of
    migration 0005 still refuses for rows younger than six months.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('audit_purge(timestamptz)') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT audit_purge(%s)", [cutoff])
            return int(cursor.fetchone()[0])
    deleted, _detail = AuditEvent.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted
