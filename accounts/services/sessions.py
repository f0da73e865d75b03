"""Ending an account's sessions and tokens, and what triggers it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from accounts.models import ApiToken, User
from audit.context import client_ip, request_user
from audit.models import AuditAction
from audit.services import audit_record


def sessions_and_tokens_end(*, actor: User | None, user: User, reason: str) -> None:
    """End every session of ``user`` and revoke every API token of theirs: a
    change of what protects the account or of what it may do (second factor
    turned on or reset, role changed).

    Sessions end as after a password change: each one stores the account's
    session auth hash, which must still match at its next request, and the
    bump of ``session_generation`` changes it (``User._get_session_auth_hash``).
    A caller acting in ``user``'s own session keeps it with Django's
    ``update_session_auth_hash(request, user)`` (``user`` is updated here).
    Audited: ``SESSIONS_ENDED``, and ``TOKEN_REVOKED`` if there were tokens.
    """
    # No savepoint: nothing here is retried on its own, a failure undoes the caller's change.
    with transaction.atomic(savepoint=False):
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.session_generation = (
            User.objects.filter(pk=user.pk).values_list("session_generation", flat=True).get()
        )
        api_tokens_revoke_all(actor=actor, user=user, reason=reason)
        audit_record(
            actor=actor,
            action=AuditAction.SESSIONS_ENDED,
            subject_user=user,
            details={"reason": reason},
        )


def api_tokens_revoke_all(*, actor: User | None, user: User, reason: str) -> int:
    """Revoke every token of ``user`` (password changed, account closed, a
    change of second factor or of role)."""
    with transaction.atomic(savepoint=False):
        ids = list(ApiToken.objects.filter(user=user).values_list("pk", flat=True))
        if not ids:
            return 0
        ApiToken.objects.filter(pk__in=ids).delete()
        audit_record(
            actor=actor,
            action=AuditAction.TOKEN_REVOKED,
            subject_user=user,
            details={"token_ids": ids, "reason": reason},
        )
    return len(ids)


def password_changed_record(*, user: User) -> None:
    """The password of ``user`` changed (any path: the change page, a reset
    link, the admin, a command): audit it and revoke their API tokens."""
    # Reached by a signal, which is not told who acts: the request's user (the
    # owner on the change page, an administrator in the admin); a reset link is
    # used by nobody logged in, and proves the owner's mailbox: the owner. No
    # request (a command): nobody.
    actor = request_user()
    if actor is None and client_ip() is not None:
        actor = user
    with transaction.atomic():
        audit_record(
            actor=actor, action=AuditAction.PASSWORD_CHANGED, subject_user=user, details={}
        )
        api_tokens_revoke_all(actor=None, user=user, reason="password_changed")
