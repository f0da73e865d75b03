"""Who may do what with accounts and staff: verification, the audit trail,
staff management, blocked logins, access points.

Who may see and act on identities, slots and appointments (the personas'
booking rules) is ``booking.permissions``: accounts knows nothing of booking.
Inactive or anonymous users may do nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from accounts.models import Role

if TYPE_CHECKING:
    from accounts.models import User

_NOTHING = Q(pk__in=[])


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_verified(user: User) -> bool:
    """Has ``user`` confirmed both their e-mail address and their mobile phone?

    Staff accounts are created by an administrator and count as verified.
    The booking services refuse an applicant who is not (no booking before both).
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role != Role.APPLICANT or user.is_staff or user.is_superuser:
        return True
    return user.email_verified_at is not None and user.phone_verified_at is not None


def managed_access_points(user: User) -> Q:
    """A filter on ``AccessPoint``: those ``user`` may change (supervisors: all;
    a mediator: their own point's details; nobody else)."""
    if not _active(user):
        return _NOTHING
    if user.role == Role.SUPERVISOR:
        return Q()
    if user.role == Role.MEDIATOR and user.access_point_id is not None:
        return Q(pk=user.access_point_id)
    return _NOTHING


def can_search_audit(user: User) -> bool:
    """May ``user`` read and search the audit trail? Supervisors only."""
    return user.is_authenticated and user.is_active and user.role == Role.SUPERVISOR


def can_manage_staff(user: User) -> bool:
    """May ``user`` see the staff list and create staff accounts? Supervisors
    and administrators (superusers) only."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.role == Role.SUPERVISOR or user.is_superuser)
    )


def can_manage_account(user: User, account: User) -> bool:
    """May ``user`` change the role, attachments or activity of ``account``?

    Only a staff account, never one's own (another supervisor does it), and an
    administrator's account only by an administrator.
    """
    if not can_manage_staff(user) or account.pk == user.pk:
        return False
    if account.is_superuser and not user.is_superuser:
        return False
    return account.role != Role.APPLICANT or account.is_staff


def can_unlock_logins(user: User) -> bool:
    """May ``user`` see the logins blocked after failed attempts and unlock them?
    Supervisors and administrators (superusers)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.role == Role.SUPERVISOR or user.is_superuser)
    )


def can_suspend_account(user: User, account: User) -> bool:
    """May ``user`` suspend ``account`` (or lift its suspension) from the abuse
    report? Supervisors only, never their own account, another supervisor's or
    an administrator's: an account of a lower role (applicant, mediator, agent)."""
    if not can_search_audit(user) or account.pk == user.pk:
        return False
    return not account.is_superuser and account.role != Role.SUPERVISOR
