"""Changes of an identity after it is recorded: its owner's correction until
an appointment uses it, an agent's correction with a reason, and the record
of a refused claim of an identity already on file (for the abuse report).

Recording a new identity is ``booking.services.applicant_create``; both
paths check identities with ``booking.services.identity_validate``.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts import errors
from accounts.models import IdentityClaimAttempt, User
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors as booking_errors
from booking.identity import IDENTITY_FIELDS, Identity
from booking.models import Applicant
from booking.permissions import can_correct_identity
from booking.services.identities import identity_validate


def identity_claim_attempt_record(
    *, account: User | None, identity_key: str, ip: str | None
) -> IdentityClaimAttempt:
    """Record that ``account`` tried to use an identity already on file (and
    audit it, on the record that holds the identity)."""
    with transaction.atomic():
        attempt = IdentityClaimAttempt.objects.create(
            account=account if account is not None and account.pk else None,
            identity_key=identity_key[:64],
            ip=ip or None,
        )
        audit_record(
            actor=attempt.account,
            action=AuditAction.IDENTITY_CLAIM_REFUSED,
            subject_user=attempt.account,
            applicant=Applicant.objects.filter(identity_key=attempt.identity_key).first(),
            details={"identity_key": attempt.identity_key},
        )
    return attempt


def identity_is_locked(applicant) -> bool:
    """An identity is locked once an appointment uses it: from then on only an
    agent may correct it (derived, not stored: no flag to forget to set)."""
    return applicant.appointments.exists()


def _identity_assign(applicant, identity: Identity) -> dict[str, dict]:
    """Set ``identity`` on ``applicant`` (locked by the caller), unsaved, and
    return its changes as stored (``Identity.changes_from``: ``{}`` if none)."""
    before = Identity.of(applicant)
    identity.assign(applicant)
    return Identity.of(applicant).changes_from(before)


def _identity_save(applicant) -> None:
    """Store the identity set by ``_identity_assign``; ``IdentityTaken`` when the
    document is someone else's (the unique identity key says so)."""
    try:
        with transaction.atomic():
            # Applicant.save adds the derived fields (normalised names, key) to these.
            applicant.save(update_fields=IDENTITY_FIELDS)
    except IntegrityError:
        raise booking_errors.IdentityTaken() from None


def identity_correct(*, user: User, identity: Identity):
    """The applicant corrects their own identity to ``identity``, as long as no
    appointment uses it.

    The identity record is locked (``FOR UPDATE``) while the appointments are
    looked for, so a correction and a booking that locks it too cannot cross.
    Raises ``IdentityLocked``, ``booking.errors.InvalidIdentity`` or
    ``booking.errors.IdentityTaken`` (the document is someone else's).
    """
    identity_validate(identity=identity)
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(user=user)
        if identity_is_locked(applicant):
            raise errors.IdentityLocked()
        changes = _identity_assign(applicant, identity)
        _identity_save(applicant)
        if changes:
            audit_record(
                actor=user,
                action=AuditAction.IDENTITY_CORRECTED,
                subject_user=user,
                applicant=applicant,
                details={"by": "owner", **changes},
            )
    return applicant


CORRECTION_REASON_MAX_LENGTH = 500


def applicant_identity_correct(
    *,
    actor: User,
    applicant,
    reason: str,
    identity: Identity,
):
    """An agent or a supervisor corrects a person's identity to ``identity``,
    locked or not, with a reason.

    Allowed by ``permissions.can_correct_identity`` (supervisors; agents of a
    site where the person has an appointment). The record is locked (``FOR
    UPDATE``) like ``identity_correct`` does, so a booking cannot cross it. The
    audit row holds the reason and the changed fields before and after.

    The identity copied onto the person's existing appointments stays as it
    was booked: a database trigger forbids editing it, and that is intended
    (an appointment keeps the identity it was booked with, which is what the
    counter checks). The correction applies to what is booked from now on.

    Raises ``booking.errors.NotAllowed``, ``CorrectionReasonRequired``,
    ``booking.errors.InvalidIdentity``, ``booking.errors.IdentityTaken`` (the
    document is someone else's) or ``IdentityUnchanged``.
    """
    if not can_correct_identity(actor, applicant):
        raise booking_errors.NotAllowed()
    reason = " ".join((reason or "").split())[:CORRECTION_REASON_MAX_LENGTH]
    if not reason:
        raise errors.CorrectionReasonRequired()
    identity_validate(identity=identity)
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        changes = _identity_assign(applicant, identity)
        if not changes:
            raise errors.IdentityUnchanged()
        _identity_save(applicant)
        audit_record(
            actor=actor,
            action=AuditAction.IDENTITY_CORRECTED,
            subject_user=applicant.user,
            applicant=applicant,
            details={"by": "staff", "reason": reason, **changes},
        )
    return applicant


def applicant_contact_follow(*, user: User, field: str, previous: str, new: str) -> None:
    """Messages about appointments go to the identity's contact details: when
    they were the account's (``field`` was ``previous``), they follow the
    account's change to ``new``. Called in the account's transaction
    (``accounts.hooks.contact_confirmed``)."""
    if previous and previous != new:
        Applicant.objects.filter(user=user, **{field: previous}).update(**{field: new})


def applicant_language_set(*, user: User, language: str) -> None:
    """The identity's messages are written in the account's language
    (``accounts.hooks.language_chosen``, in the account's transaction)."""
    Applicant.objects.filter(user=user).update(preferred_language=language)
