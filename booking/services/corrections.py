"""Changes of an identity after it is recorded: its owner's correction until
an appointment uses it, an agent's correction with a reason, and the record
of a refused claim of an identity already on file (for the abuse report).

Recording a new identity is ``booking.services.applicant_create``; both
paths check identities with ``booking.services.identity_validate``.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from accounts import errors
from accounts.models import IdentityClaimAttempt, User
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors as booking_errors
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


_IDENTITY_FIELDS = (
    "surname",
    "given_names",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
)


def _identity_fields(applicant) -> dict[str, str]:
    """The identity as stored (document number normalised), JSON-ready."""
    return {
        "surname": applicant.surname,
        "given_names": applicant.given_names,
        "birth_date": applicant.birth_date.isoformat(),
        "nationality": str(applicant.nationality),
        "document_type": applicant.document_type,
        "document_number": applicant.document_number,
    }


def _identity_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, dict]:
    """``{"before": {...}, "after": {...}}`` of the fields that changed; ``{}`` if none."""
    changed = [name for name in _IDENTITY_FIELDS if before[name] != after[name]]
    if not changed:
        return {}
    return {
        "before": {name: before[name] for name in changed},
        "after": {name: after[name] for name in changed},
    }


def _identity_assign(
    applicant,
    *,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
) -> dict[str, dict]:
    """Set a new identity on ``applicant`` (locked by the caller), unsaved, and
    return its changes (``_identity_changes``: ``{}`` if none)."""
    before = _identity_fields(applicant)
    applicant.surname = surname.strip()
    applicant.given_names = given_names.strip()
    applicant.birth_date = birth_date
    applicant.nationality = nationality
    applicant.document_type = document_type
    applicant.document_number = document_number
    applicant.derive_identity_fields()
    return _identity_changes(before, _identity_fields(applicant))


def _identity_save(applicant) -> None:
    """Store the identity set by ``_identity_assign``; ``IdentityTaken`` when the
    document is someone else's (the unique identity key says so)."""
    try:
        with transaction.atomic():
            # Applicant.save adds the derived fields (number, key) to these.
            applicant.save(
                update_fields=[
                    "surname",
                    "given_names",
                    "birth_date",
                    "nationality",
                    "document_type",
                ]
            )
    except IntegrityError:
        raise booking_errors.IdentityTaken() from None


def identity_correct(
    *,
    user: User,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
):
    """The applicant corrects their own identity, as long as no appointment uses it.

    The identity record is locked (``FOR UPDATE``) while the appointments are
    looked for, so a correction and a booking that locks it too cannot cross.
    Raises ``IdentityLocked``, ``booking.errors.InvalidIdentity`` or
    ``booking.errors.IdentityTaken`` (the document is someone else's).
    """
    identity_validate(
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
    )
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(user=user)
        if identity_is_locked(applicant):
            raise errors.IdentityLocked()
        changes = _identity_assign(
            applicant,
            surname=surname,
            given_names=given_names,
            birth_date=birth_date,
            nationality=nationality,
            document_type=document_type,
            document_number=document_number,
        )
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
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
):
    """An agent or a supervisor corrects a person's identity, locked or not, with a reason.

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
    identity_validate(
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
    )
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        changes = _identity_assign(
            applicant,
            surname=surname,
            given_names=given_names,
            birth_date=birth_date,
            nationality=nationality,
            document_type=document_type,
            document_number=document_number,
        )
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
