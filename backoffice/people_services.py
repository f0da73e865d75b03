"""Writes of the agents' pages about people that the booking services do not
cover. Registering a walk-in is ``booking.services.applicant_create``; booking,
cancelling and moving are the booking services, with the agent as actor."""

from __future__ import annotations

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_record
from booking.errors import NotAllowed
from booking.identity import Identity, identity_key
from booking.models import Applicant


def walk_in_found_on_file(*, actor: User, identity: Identity) -> Applicant | None:
    """The record of ``identity``'s document when an agent (or a supervisor)
    registering a walk-in finds it already on file (``applicant_create`` raised
    ``IdentityTaken``): the same document (identity key) *and* the same date of
    birth, the person at the counter holding it. ``None`` when the date of birth
    differs: nothing is said about that record.

    Audited (``IDENTITY_FOUND_ON_FILE``): the agent may then open the person's
    page for a while, even if none of their appointments is at the agent's
    sites (``backoffice.views.people``). Raises ``NotAllowed`` for anyone else."""
    if not (actor.is_authenticated and actor.is_active) or actor.role not in (
        Role.AGENT,
        Role.SUPERVISOR,
    ):
        raise NotAllowed()
    key = identity_key(
        document_type=identity.document_type,
        document_number=identity.document_number,
        nationality=identity.nationality,
    )
    found = Applicant.objects.filter(identity_key=key, birth_date=identity.birth_date).first()
    if found is not None:
        audit_record(
            actor=actor,
            action=AuditAction.IDENTITY_FOUND_ON_FILE,
            applicant=found,
            details={"document_type": found.document_type},
        )
    return found
