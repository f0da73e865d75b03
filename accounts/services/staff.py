"""Staff accounts.

Created by a supervisor or an administrator, never by self-registration; each
change is audited. The new person sets their password through a link made with
Django's password-reset tokens (valid PASSWORD_RESET_TIMEOUT, dead once used).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import errors
from accounts.messages import PASSWORD_RESET, STAFF_INVITE
from accounts.models import STAFF_ROLES, Role, User
from accounts.permissions import can_manage_account, can_manage_staff
from accounts.services.email import _normalize_email
from accounts.services.outbox import _owe
from accounts.services.sessions import sessions_and_tokens_end
from accounts.services.two_factor import _otp_devices_remove
from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_record
from core import ratelimit
from core.errors import Forbidden
from core.links import public_url


def staff_attachments_check(*, role: str, sites: list, access_point) -> None:
    """An agent works for at least one site, a mediator belongs to an access point.

    Raises ``InvalidStaffRole``, ``AgentSitesRequired`` or
    ``MediatorAccessPointRequired``.
    """
    if role not in STAFF_ROLES:
        raise errors.InvalidStaffRole()
    if role == Role.AGENT and not sites:
        raise errors.AgentSitesRequired()
    if role == Role.MEDIATOR and access_point is None:
        raise errors.MediatorAccessPointRequired()


def staff_snapshot(user: User) -> dict:
    """What the audit trail records of a staff account's role and attachments."""
    return {
        "role": user.role,
        "sites": sorted(user.sites.values_list("pk", flat=True)) if user.pk else [],
        "access_point": user.access_point_id,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def _staff_manage_check(*, actor: User, user: User) -> None:

    if actor.pk == user.pk:
        raise errors.StaffSelfChange()
    if not can_manage_account(actor, user):
        raise Forbidden()


def password_set_url(*, user: User) -> str:
    """A link to choose ``user``'s password (Django's reset tokens: valid
    ``PASSWORD_RESET_TIMEOUT`` from now, dead once the password changes or the
    account logs in). Made by the worker when it sends, never stored."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return public_url(reverse("accounts:password_reset_confirm", args=[uid, token]))


def staff_invitation_send(*, user: User, actor: User | None = None) -> int:
    """Owe ``user`` an e-mail with a link to set their password; returns the
    outbox message id. The link is made by the worker (``password_set_url``).
    Counted in the ``staff_invite`` rate limits (per ``actor``, recipient, address)."""
    ratelimit.hit(
        "staff_invite",
        account=actor.pk if actor is not None else None,
        email=user.email,
        ip=client_ip(),
    )
    with transaction.atomic():
        return _owe(
            user=user,
            key=STAFF_INVITE,
            channel="email",
            destination=user.email,
            context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            idempotency_key=f"{STAFF_INVITE}:u{user.pk}:{secrets.token_hex(8)}",
        )


def password_reset_send(*, user: User) -> int:
    """Owe ``user`` the e-mail of a password reset they (or someone typing their
    address) asked for: through the outbox like every message, so it is retried
    and the page answers as fast whether the address has an account or not."""
    return _owe(  # one INSERT: no transaction of its own needed
        user=user,
        key=PASSWORD_RESET,
        channel="email",
        destination=user.email,
        context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        idempotency_key=f"{PASSWORD_RESET}:u{user.pk}:{secrets.token_hex(8)}",
    )


def staff_create(
    *,
    actor: User,
    email: str,
    role: str,
    full_name: str = "",
    sites: list | None = None,
    access_point=None,
) -> User:
    """Create a staff account (mediator, agent or supervisor) and owe it the
    set-password link. Only for ``permissions.can_manage_staff`` actors.

    Sites are kept for agents only, the access point for mediators only.
    Raises ``Forbidden``, ``EmailTaken`` or an attachment error.
    """
    if not can_manage_staff(actor):
        raise Forbidden()
    sites = list(sites or [])
    staff_attachments_check(role=role, sites=sites, access_point=access_point)
    email = _normalize_email(email)
    user = User(
        email=email,
        full_name=(full_name or "").strip()[:200],
        role=role,
        access_point=access_point if role == Role.MEDIATOR else None,
        # The staff side's language, not the inviter's own choice (which the
        # header's switcher now stores): the colleague picks theirs once in.
        language=settings.LANGUAGE_CODE,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise errors.EmailTaken()
            user.save(force_insert=True)
            if role == Role.AGENT:
                user.sites.set(sites)
            audit_record(
                actor=actor,
                action=AuditAction.ACCOUNT_CREATED,
                subject_user=user,
                details={"by": "staff", **staff_snapshot(user)},
            )
            staff_invitation_send(user=user, actor=actor)
    except IntegrityError:  # the same address created twice at once
        raise errors.EmailTaken() from None
    return user


def staff_update(
    *,
    actor: User,
    user: User,
    role: str,
    full_name: str,
    sites: list | None = None,
    access_point=None,
) -> User:
    """Change a staff account's role, name and attachments. A change of role
    or attachment is audited with what it was and what it becomes."""
    _staff_manage_check(actor=actor, user=user)
    sites = list(sites or [])
    staff_attachments_check(role=role, sites=sites, access_point=access_point)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = staff_snapshot(locked)
        locked.role = role
        locked.full_name = (full_name or "").strip()[:200]
        locked.access_point = access_point if role == Role.MEDIATOR else None
        locked.save(update_fields=["role", "full_name", "access_point"])
        locked.sites.set(sites if role == Role.AGENT else [])
        after = staff_snapshot(locked)
        if after != before:
            audit_record(
                actor=actor,
                action=AuditAction.ACCOUNT_ROLE_CHANGED,
                subject_user=locked,
                details={"before": before, "after": after},
            )
            # What the account may do changed: start again from a fresh login.
            sessions_and_tokens_end(actor=actor, user=locked, reason="role_changed")
    return locked


def _staff_active_set(*, actor: User, user: User, active: bool) -> User:
    """Open or close ``user``'s account, once: a second request changes and audits
    nothing. Closing ends its sessions and revokes its API tokens in the same
    transaction."""
    _staff_manage_check(actor=actor, user=user)
    with transaction.atomic():
        # A suspended account opens again only by lifting its suspension
        # (``backoffice.abuse``), which is audited as such.
        changed = User.objects.filter(
            pk=user.pk, is_active=not active, suspended_at__isnull=True
        ).update(is_active=active)
        if changed:
            if not active:
                # Ended, not only unloaded while inactive: a reactivation must not
                # bring back old sessions, second factor passed.
                sessions_and_tokens_end(actor=actor, user=user, reason="deactivated")
            audit_record(
                actor=actor,
                action=AuditAction.ACCOUNT_REACTIVATED
                if active
                else AuditAction.ACCOUNT_DEACTIVATED,
                subject_user=user,
                details={"role": user.role},
            )
    user.is_active = active
    return user


def staff_deactivate(*, actor: User, user: User) -> User:
    """Close a staff account: it can no longer log in, its sessions end (for
    good: a reactivation does not revive them) and its API tokens are revoked.
    The account stays, so that its past actions remain attributable."""
    return _staff_active_set(actor=actor, user=user, active=False)


def staff_reactivate(*, actor: User, user: User) -> User:
    """Open a closed staff account again (its second factor is still needed)."""
    return _staff_active_set(actor=actor, user=user, active=True)


def staff_otp_reset(*, actor: User, user: User) -> int:
    """Remove a staff member's second-factor devices (a lost phone): they
    enrol again at their next login. Their sessions end and their API tokens
    are revoked (whoever holds the phone may be logged in). Returns how many
    devices went."""
    _staff_manage_check(actor=actor, user=user)
    with transaction.atomic():
        removed = _otp_devices_remove(actor=actor, user=user, reason="reset_by_supervisor")
        sessions_and_tokens_end(actor=actor, user=user, reason="otp_reset_by_supervisor")
    return removed


def account_admin_saved(
    *, actor: User, user: User, before: dict | None, was_active: bool | None
) -> None:
    """Audit what an administrator changed in the admin's user form (which
    saves the model itself): creation, role or attachments, activity.
    ``before`` is ``staff_snapshot`` as it was, ``None`` for a new account."""
    after = staff_snapshot(user)
    with transaction.atomic():
        if before is None:
            audit_record(
                actor=actor,
                action=AuditAction.ACCOUNT_CREATED,
                subject_user=user,
                details={"by": "admin", **after},
            )
            return
        if after != before:
            audit_record(
                actor=actor,
                action=AuditAction.ACCOUNT_ROLE_CHANGED,
                subject_user=user,
                details={"before": before, "after": after, "by": "admin"},
            )
            sessions_and_tokens_end(actor=actor, user=user, reason="role_changed")
        if was_active is not None and was_active != user.is_active:
            action = (
                AuditAction.ACCOUNT_REACTIVATED
                if user.is_active
                else AuditAction.ACCOUNT_DEACTIVATED
            )
            audit_record(actor=actor, action=action, subject_user=user, details={"by": "admin"})
            if not user.is_active and after == before:  # a role change ended them already
                sessions_and_tokens_end(actor=actor, user=user, reason="deactivated")
