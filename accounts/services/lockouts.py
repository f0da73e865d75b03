"""Login lock-outs lifted by a supervisor."""

from __future__ import annotations

from django.db import transaction

from accounts.lockout import lockout_clear, normalize_login
from accounts.models import User
from accounts.permissions import can_unlock_logins
from audit.models import AuditAction
from audit.services import audit_record
from core.errors import Forbidden, InvalidInput


def account_unlock(*, actor: User, email: str) -> int:
    """A supervisor (or an administrator) lifts the login lock-out of ``email``:
    its failed attempts are forgotten from every client address. Recorded in the
    audit trail, even when nothing was locked. Returns how many attempt records went."""
    if not can_unlock_logins(actor):
        raise Forbidden()
    login = normalize_login(email)
    if not login:
        raise InvalidInput()
    with transaction.atomic():
        cleared = lockout_clear(email=login)
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_UNLOCKED,
            subject_user=User.objects.filter(email__iexact=login).first(),
            details={"email": login, "attempts_cleared": cleared},
        )
    return cleared
