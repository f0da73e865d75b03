"""Self-registration of an applicant's account."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import errors
from accounts.models import Role, User
from accounts.phones import normalize_mobile
from accounts.services.email import _normalize_email, email_confirmation_send
from accounts.services.phone import phone_code_send
from audit.models import AuditAction
from audit.services import audit_record


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise errors.WeakPassword(" ".join(exc.messages)) from None


def account_register(
    *, email: str, password: str, phone: str, consent: bool, language: str = "fr"
) -> User:
    """Create an applicant's account, owe the e-mail link and the SMS code.

    The account can log in at once but is not verified (``permissions.
    is_verified``) until both the e-mail address and the phone are confirmed.
    Raises ``ConsentRequired``, ``InvalidPhone``, ``WeakPassword`` or ``EmailTaken``.
    """
    if not consent:
        raise errors.ConsentRequired()
    email = _normalize_email(email)
    phone = normalize_mobile(phone)
    user = User(email=email, role=Role.APPLICANT, phone=phone, language=language[:8])
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise errors.EmailTaken()
            user.save(force_insert=True)
            email_confirmation_send(user=user)
            phone_code_send(user=user, check_cool_down=False)
            audit_record(
                actor=user,
                action=AuditAction.ACCOUNT_CREATED,
                subject_user=user,
                details={"role": user.role, "by": "self-registration"},
            )
    except IntegrityError:  # the same address registered twice at once
        raise errors.EmailTaken() from None
    return user
