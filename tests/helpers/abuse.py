"""Seeding the patterns of the abuse report (tests/backoffice/test_abuse_report.py,
the query-bound harness): appointments written as rows, with who booked them,
when, whether they were cancelled, so that a test sets each signal's shape
exactly; the audit rows of refused check-ins; refused identity claims."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import IdentityClaimAttempt, Role
from audit.models import AuditAction, AuditEvent
from booking.identity import IDENTITY_FIELDS
from booking.models import Appointment, AppointmentStatus, Channel, new_reference
from tests import factories


def seed_appointment(
    applicant,
    *,
    slot,
    booked_by=None,
    role: str = Role.APPLICANT,
    created_at: datetime | None = None,
    cancelled_at: datetime | None = None,
    outside_opening_hours: bool = False,
    access_point=None,
) -> Appointment:
    """An appointment row of ``applicant`` at ``slot`` (cancelled when
    ``cancelled_at`` is given, else booked), booked by ``booked_by`` (default:
    the person's account) as ``role``. The slot's counter is not touched: the
    report reads the rows."""
    created_at = created_at or timezone.now() - timedelta(days=1)
    return Appointment.objects.create(
        reference=new_reference(),
        slot=slot,
        procedure=slot.procedure,
        applicant=applicant,
        identity_key=applicant.identity_key,
        **{name: getattr(applicant, name) for name in IDENTITY_FIELDS},
        status=AppointmentStatus.CANCELLED if cancelled_at else AppointmentStatus.BOOKED,
        channel=Channel.MEDIATION if role == Role.MEDIATOR else Channel.WEB,
        booked_by=booked_by if booked_by is not None else applicant.user,
        booked_by_role=role,
        access_point=access_point,
        outside_opening_hours=outside_opening_hours,
        created_at=created_at,
        updated_at=created_at,
        cancelled_at=cancelled_at,
    )


def seed_check_in_refused(appointment: Appointment, *, agent=None, times: int = 1) -> None:
    """What the counter writes when the document shown is not the one booked."""
    for _ in range(times):
        AuditEvent.objects.create(
            action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED,
            actor=agent,
            appointment=appointment,
            applicant_id=appointment.applicant_id,
            appointment_reference=appointment.reference,
            details={"site": appointment.slot.site_id, "reason": "document_mismatch"},
        )


def seed_refused_claims(account, *, times: int, ip: str = "198.51.100.9") -> None:
    for n in range(times):
        IdentityClaimAttempt.objects.create(account=account, identity_key=f"agdref:9{n:09d}", ip=ip)


def seed_every_signal(*, scale: int = 1) -> dict:
    """One of each pattern, ``scale`` times (the query-bound harness compares
    the page's queries at two scales)."""
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    slot = factories.SlotFactory(site=site, procedure=procedure)
    point = factories.AccessPointFactory()
    now = timezone.now()
    seeded: dict = {"site": site, "procedure": procedure}
    for n in range(scale):
        # An identity booked from three accounts.
        person = factories.ApplicantFactory()
        for _ in range(3):
            seed_appointment(
                person,
                slot=slot,
                booked_by=factories.UserFactory(role=Role.SUPERVISOR),
                role=Role.SUPERVISOR,
                cancelled_at=now - timedelta(hours=1),
            )
        # An applicant's account that booked for two identities, cancelling
        # and booking again at once.
        broker = factories.ApplicantFactory()
        other = factories.ApplicantFactory(user=None, phone=f"+3369900{n:04d}")
        for who in (broker, other):
            for days in (2, 3):
                cancelled = now - timedelta(days=days)
                seed_appointment(
                    who,
                    slot=slot,
                    booked_by=broker.user,
                    created_at=cancelled - timedelta(hours=1),
                    cancelled_at=cancelled,
                )
                seed_appointment(
                    who,
                    slot=slot,
                    booked_by=broker.user,
                    created_at=cancelled + timedelta(minutes=5),
                    cancelled_at=cancelled + timedelta(hours=2) if days == 3 else None,
                )
        # A phone behind three identities.
        for _ in range(3):
            walk_in = factories.ApplicantFactory(user=None, phone=f"+3361100{n:04d}")
            seed_appointment(
                walk_in,
                slot=slot,
                booked_by=factories.UserFactory(role=Role.SUPERVISOR),
                role=Role.SUPERVISOR,
            )
        # A refused check-in, refused claims, a mediator outside hours.
        refused = seed_appointment(factories.ApplicantFactory(), slot=slot)
        seed_check_in_refused(refused)
        seed_refused_claims(factories.UserFactory(), times=2)
        mediator = factories.MediatorFactory(access_point=point)
        seed_appointment(
            factories.ApplicantFactory(user=None, phone=""),
            slot=slot,
            booked_by=mediator,
            role=Role.MEDIATOR,
            access_point=point,
            outside_opening_hours=True,
        )
    return seeded


# --- The accessibility walk's states (tests/helpers/accessibility/allocation.py) ----


@contextmanager
def abuse_seeded(scenario) -> Iterator[None]:
    """Every section of the report with a row. The rows stay (the audit trail
    refuses deletions): a second visit finds twice as many, which changes no markup."""
    seed_every_signal()
    yield


@contextmanager
def account_suspended(scenario) -> Iterator[None]:
    """The other applicant's account suspended (the fields only; put back after)."""
    from accounts.models import User

    account = scenario.users["other_applicant"]
    User.objects.filter(pk=account.pk).update(
        is_active=False,
        suspended_at=timezone.now(),
        suspended_by=scenario.users["supervisor"],
        suspension_reason="Revente de rendez-vous",
    )
    try:
        yield
    finally:
        User.objects.filter(pk=account.pk).update(
            is_active=True, suspended_at=None, suspended_by=None, suspension_reason=""
        )
