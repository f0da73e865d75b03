"""Recording a person's identity: the checks every path shares, and the record."""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import IdentityClaimAttempt, Role, User
from accounts.permissions import is_verified
from accounts.phones import normalize_mobile
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event, audit_record
from booking import errors
from booking.identity import (
    Identity,
    document_number_error,
    normalize_document_number,
    normalize_name,
)
from booking.models import ERASED_TEXT, Applicant, Appointment, reference_parse
from booking.permissions import can_register_identity
from core import ratelimit
from core.db import constraint_of

# --- Identities --------------------------------------------------------------------


def identity_validate(*, identity: Identity) -> None:
    """Raise ``InvalidIdentity`` unless ``identity`` can be recorded and compared.

    Shared by every path that records or corrects an identity.
    """
    # Compared at the counter in their normalised form: a name of punctuation or
    # of a non-Latin script only would normalise to nothing and match nobody.
    if not normalize_name(identity.surname) or not normalize_name(identity.given_names):
        raise errors.InvalidIdentity(
            _("Enter the surname and the first names in Latin letters, as on your document.")
        )
    # Part of a passport's identity key: an unknown country would make a second key.
    if identity.nationality not in countries:
        raise errors.InvalidIdentity(_("Choose a nationality."))
    today = timezone.localdate()
    birth_date = identity.birth_date
    if birth_date > today or birth_date < date(today.year - 120, 1, 1):
        raise errors.InvalidIdentity(_("The date of birth is not plausible."))
    problem = document_number_error(identity.document_type, identity.document_number)
    if problem:
        raise errors.InvalidIdentity(problem)


def applicant_create(
    *,
    actor: User,
    user: User | None,
    identity: Identity,
    phone: str = "",
    email: str = "",
    preferred_language: str = "fr",
) -> Applicant:
    """Record ``identity``, for an account (``user``) or a walk-in (``user=None``).

    ``phone`` and ``email`` are a walk-in's contacts, typed by staff: the phone
    must be a mobile of ``CONTACT_PHONE_REGIONS`` (``InvalidPhone`` otherwise).
    An account's identity takes none: its messages go to the account's
    confirmed phone and e-mail (``notifications.services.applicant_contacts``).

    Raises ``InvalidIdentity`` for bad data, ``IdentityTaken`` when the same
    document is already on file (one identity, one record) and
    ``IdentityAlreadyOnFile`` when the account already has one.
    """
    if not can_register_identity(actor, user):
        raise errors.NotAllowed()
    if user is not None and (phone or email):
        raise ValueError("an account's identity has no contacts of its own")
    if phone:
        phone = normalize_mobile(phone, regions=settings.CONTACT_PHONE_REGIONS)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise errors.InvalidIdentity(_("Enter a valid e-mail address.")) from None
    if user is not None and Applicant.objects.filter(user=user).exists():
        raise errors.IdentityAlreadyOnFile()
    identity_validate(identity=identity)
    applicant = Applicant(
        user=user,
        phone=phone,
        email=email,
        preferred_language=preferred_language,
        # A mediator's walk-in belongs to their access point: its mediators act for them.
        access_point_id=actor.access_point_id if actor.role == Role.MEDIATOR else None,
    )
    identity.assign(applicant)
    with transaction.atomic():
        try:
            # The refusal leaves this block by an exception: its rollback covers
            # the failed INSERT, no savepoint needed.
            applicant.save(force_insert=True)
        except IntegrityError as exc:
            if "user_id" in constraint_of(exc):  # the same account, twice at once
                raise errors.IdentityAlreadyOnFile() from None
            raise errors.IdentityTaken() from None
        audit_record(
            actor=actor,
            action=AuditAction.IDENTITY_RECORDED,
            subject_user=user,
            applicant=applicant,
            details={
                "document_type": applicant.document_type,
                "walk_in": user is None,
                # Where a mediator registered the walk-in.
                **(
                    {"access_point": applicant.access_point_id} if applicant.access_point_id else {}
                ),
            },
        )
    return applicant


# --- An account takes over a walk-in's record -------------------------------------

# What the refused claim records as the "identity key" it aimed at: the
# reference the account typed, never the key of the record it found (the
# account's data export lists its refused claims: the key would give away the
# document number of whoever holds that reference).
CLAIM_KEY_PREFIX = "claim:"


def _claim_refusal(record: Applicant | None, *, birth_date: date, document_number: str) -> str:
    """Why ``record`` may not be claimed with these proofs ("" when it may).
    For the audit trail only: the caller is told the same in every case."""
    if record is None:
        return "unknown_reference"
    if record.user_id is not None:
        return "has_account"
    if record.surname == ERASED_TEXT:
        return "erased"
    # Both compared, the number in constant time; what stops guessing is the rate limit.
    same_number = hmac.compare_digest(record.document_number.encode(), document_number.encode())
    same_birth_date = record.birth_date == birth_date
    if not (same_number and same_birth_date):
        return "mismatch"
    return ""


def applicant_claim(
    *,
    actor: User,
    reference: str,
    birth_date: date,
    document_number: str,
    ip: str | None = None,
) -> Applicant:
    """``actor``, an applicant's account without an identity, takes over the
    walk-in record (no account) that the appointment ``reference`` belongs to,
    proving it with the record's date of birth and document number (compared
    after normalisation, as everywhere).

    The record becomes the account's: the same row, so the same identity key,
    its appointments, consents and history with it; the access point that
    registered it stays on it and on the appointments. Its own phone and
    e-mail (typed by a mediator) are cleared: from now on the account's
    confirmed contacts receive its messages (``notifications.services.
    applicant_contacts`` reads only those once the record has an account),
    and contacts nobody confirmed are not kept for nothing. Messages already
    owed keep their destination. The record's language becomes the account's.
    Audited (``IDENTITY_CLAIMED``, on the record).

    Every try is counted (``RATELIMITS["identity_claim"]``, per account and per
    ``ip``) before anything is looked up. A reference that does not exist, one
    whose record has an account or was erased, and proofs that do not match
    are one refusal, ``IdentityClaimRefused``, recorded (an
    ``IdentityClaimAttempt`` and an ``IDENTITY_CLAIM_REFUSED`` audit row, which
    says why) and committed before it is raised: nothing else is written.

    Raises first, about the account itself: ``NotAllowed`` (not an active
    applicant), ``ClaimAccountNotVerified`` (e-mail and phone not both
    confirmed), ``IdentityAlreadyOnFile`` (it has an identity); then
    ``core.ratelimit.RateLimited`` and ``IdentityClaimRefused``.
    """
    if not actor.is_authenticated or not actor.is_active or actor.role != Role.APPLICANT:
        raise errors.NotAllowed()
    if not is_verified(actor):
        raise errors.ClaimAccountNotVerified()
    if Applicant.objects.filter(user=actor).exists():
        raise errors.IdentityAlreadyOnFile()
    ratelimit.hit("identity_claim", account=actor.pk, ip=ip)
    parsed = reference_parse(reference or "")
    number = normalize_document_number(document_number or "")
    with transaction.atomic():
        record = None
        if parsed is not None:
            # Locked: two accounts claiming at once, one wins, the other is refused.
            record = (
                Applicant.objects.select_for_update()
                .filter(pk__in=Appointment.objects.filter(reference=parsed).values("applicant_id"))
                .first()
            )
        refusal = _claim_refusal(record, birth_date=birth_date, document_number=number)
        if record is not None and not refusal:
            contacts_cleared = [name for name in ("phone", "email") if getattr(record, name)]
            record.user = actor
            record.phone = ""
            record.email = ""
            record.preferred_language = actor.language
            try:
                record.save(update_fields=["user", "phone", "email", "preferred_language"])
            except IntegrityError:  # the same account, claiming or recording at once
                raise errors.IdentityAlreadyOnFile() from None
            audit_record(
                actor=actor,
                action=AuditAction.IDENTITY_CLAIMED,
                subject_user=actor,
                applicant=record,
                details={
                    "reference": parsed,
                    "access_point": record.access_point_id,
                    "walk_in_contacts_cleared": contacts_cleared,
                },
            )
            return record
        attempt = IdentityClaimAttempt.objects.create(
            account=actor, identity_key=f"{CLAIM_KEY_PREFIX}{parsed or ''}", ip=ip or None
        )
        audit_record(
            actor=actor,
            action=AuditAction.IDENTITY_CLAIM_REFUSED,
            subject_user=actor,
            applicant=record,
            details={"identity_key": attempt.identity_key, "reason": refusal},
        )
    # Outside the transaction: the refusal's record is committed, not rolled back.
    raise errors.IdentityClaimRefused()


# --- Many account identities at once (the system: the demo's numbered applicants) ---


@dataclass(frozen=True)
class AccountIdentity:
    """The identity to record for ``user``: what ``applicant_create`` takes for an account."""

    user: User
    identity: Identity
    preferred_language: str = "fr"


def applicants_create_bulk(
    *, identities: Sequence[AccountIdentity], batch_size: int = 500
) -> list[Applicant]:
    """Record every identity of ``identities``, each for its account, as the system.

    All or nothing, in one transaction: the ``Applicant`` rows, each with its
    derived fields, and one ``IDENTITY_RECORDED`` audit row per applicant (no
    actor: the system; the subject is the account; the details are those of
    ``applicant_create`` plus ``"bulk": true``). Accounts only: an account's
    identity has no contacts of its own, its messages go to the account's.

    Raises, writing nothing: ``InvalidIdentity`` (the first identity that
    ``identity_validate`` refuses), ``IdentityAlreadyOnFile`` (an account that
    has an identity, or appears twice), ``IdentityTaken`` (a document already
    on file, or twice in ``identities``).
    """
    if not identities:
        return []
    if any(count > 1 for count in Counter(row.user.pk for row in identities).values()):
        raise errors.IdentityAlreadyOnFile()
    applicants = []
    for row in identities:
        identity_validate(identity=row.identity)
        applicant = Applicant(user=row.user, preferred_language=row.preferred_language)
        # Derives the fields too, which bulk_create (skipping Applicant.save) needs.
        row.identity.assign(applicant)
        applicants.append(applicant)
    keys = [applicant.identity_key for applicant in applicants]
    if len(set(keys)) < len(keys):
        raise errors.IdentityTaken()
    with transaction.atomic():
        # Checked first for a clear error; the constraints still decide a race.
        if Applicant.objects.filter(user__in=[row.user for row in identities]).exists():
            raise errors.IdentityAlreadyOnFile()
        if Applicant.objects.filter(identity_key__in=keys).exists():
            raise errors.IdentityTaken()
        try:
            Applicant.objects.bulk_create(applicants, batch_size=batch_size)
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
            if "user_id" in (constraint or ""):
                raise errors.IdentityAlreadyOnFile() from None
            raise errors.IdentityTaken() from None
        AuditEvent.objects.bulk_create(
            [
                audit_event(
                    actor=None,
                    action=AuditAction.IDENTITY_RECORDED,
                    subject_user=applicant.user,
                    applicant=applicant,
                    details={
                        "document_type": applicant.document_type,
                        "walk_in": False,
                        "bulk": True,
                    },
                )
                for applicant in applicants
            ],
            batch_size=batch_size,
        )
    return applicants
