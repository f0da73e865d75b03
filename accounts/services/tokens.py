"""API tokens: issued, revoked."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.models import ApiToken, User
from accounts.otp import otp_required_for
from accounts.services.two_factor import _otp_code, otp_check
from audit.models import AuditAction
from audit.services import audit_record
from core.errors import NotFound


def api_token_create(*, user: User) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its clear key (shown once)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            digest=ApiToken.digest_of(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + settings.API_TOKEN_TTL,
        )
        # Never the key, nor its prefix: the row identifies the token by its id.
        audit_record(
            actor=user,
            action=AuditAction.TOKEN_CREATED,
            subject_user=user,
            details={"token_id": token.pk, "expires_at": token.expires_at.isoformat()},
        )
    return token, key


def api_token_issue(*, user: User, otp: str | None) -> tuple[ApiToken, str]:
    """A token for ``user``, who has given their password. Staff, and
    applicants who turned two-factor authentication on, must also give a valid
    ``otp`` (TOTP or backup code): ``OtpRequired`` without one, ``InvalidOtp``
    with a wrong one."""
    if otp_required_for(user):
        if not _otp_code(otp):
            raise errors.OtpRequired()
        otp_check(user=user, code=otp)
    return api_token_create(user=user)


def api_token_revoke(*, user: User, token_id: int) -> None:
    """``user`` revokes one of their own tokens; anyone else's is ``NotFound``."""
    with transaction.atomic():
        deleted, _detail = ApiToken.objects.filter(pk=token_id, user=user).delete()
        if not deleted:
            raise NotFound()
        audit_record(
            actor=user,
            action=AuditAction.TOKEN_REVOKED,
            subject_user=user,
            details={"token_id": token_id, "reason": "revoked_by_owner"},
        )
