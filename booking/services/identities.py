"""Recording a person's identity: the checks every path shares, and the record."""

from __future__ import annotations

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
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors
from booking.identity import document_number_error, normalize_name
from booking.models import (
    Applicant,
)
from booking.permissions import can_register_identity
from core.db import constraint_of

# --- Identities --------------------------------------------------------------------


def identity_validate(
    *,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
) -> None:
    """Raise ``InvalidIdentity`` unless the identity can be recorded and compared.

    Shared by every path that records or corrects an identity.
    """
    # Compared at the counter in their normalised form: a name of punctuation or
    # of a non-Latin script only would normalise to nothing and match nobody.
    if not normalize_name(surname) or not normalize_name(given_names):
        raise errors.InvalidIdentity(
            _("Enter the surname and the first names in Latin letters, as on your document.")
        )
    # Part of a passport's identity key: an unknown country would make a second key.
    if nationality not in countries:
        raise errors.InvalidIdentity(_("Choose a nationality."))
    today = timezone.localdate()
    if birth_date > today or birth_date < date(today.year - 120, 1, 1):
        raise errors.InvalidIdentity(_("The date of birth is not plausible."))
    problem = document_number_error(document_type, document_number)
    if problem:
        raise errors.InvalidIdentity(problem)


def applicant_create(
    *,
    actor: User,
    user: User | None,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
    phone: str = "",
    email: str = "",
    preferred_language: str = "fr",
) -> Applicant:
    """Record a person's identity, for an account (``user``) or a walk-in (``user=None``).

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
    identity_validate(
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
    )
    applicant = Applicant(
        user=user,
        surname=surname.strip(),
        given_names=given_names.strip(),
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
        phone=phone,
        email=email,
        preferred_language=preferred_language,
        # A mediator's walk-in belongs to their access point: its mediators act for them.
        access_point_id=actor.access_point_id if actor.role == Role.MEDIATOR else None,
    )
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
            details={"document_type": applicant.document_type, "walk_in": user is None},
        )
    return applicant
