"""Recording a person's identity: the checks every path shares, and the record."""

from __future__ import annotations

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

from accounts.models import Role, User
from accounts.phones import normalize_mobile
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event, audit_record
from booking import errors
from booking.identity import Identity, document_number_error, normalize_name
from booking.models import Applicant
from booking.permissions import can_register_identity
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
