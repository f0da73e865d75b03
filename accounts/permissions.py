"""Who may do what: the one place for these rules.

Pages, API and admin all ask here. Object-level rules for staff will tighten
as access points and sites get their own screens; the entry points stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from accounts.models import Role

if TYPE_CHECKING:
    from accounts.models import User
    from booking.models import Applicant, Site

_POOLS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.APPLICANT: frozenset({"public"}),
    Role.MEDIATOR: frozenset({"public", "mediation"}),
    Role.AGENT: frozenset({"public", "mediation", "priority"}),
    Role.SUPERVISOR: frozenset({"public", "mediation", "priority"}),
}


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


def allowed_pools(user: User) -> frozenset[str]:
    """The slot pools a user may book from."""
    return _POOLS_BY_ROLE.get(user.role, frozenset())


def can_act_for(user: User, applicant: Applicant) -> bool:
    """May ``user`` book, cancel or reschedule for ``applicant``?"""
    if not user.is_active:
        return False
    if user.role == Role.APPLICANT:
        return applicant.user_id == user.pk
    return user.role in (Role.MEDIATOR, Role.AGENT, Role.SUPERVISOR)


def can_register_identity(user: User, account: User | None) -> bool:
    """May ``user`` record an identity for ``account`` (``None``: a walk-in)?

    Applicants only for their own account; staff register walk-ins.
    """
    if not user.is_active:
        return False
    if user.role == Role.APPLICANT:
        return account is not None and account.pk == user.pk
    return user.role in (Role.MEDIATOR, Role.AGENT, Role.SUPERVISOR)


def can_publish(user: User, site: Site) -> bool:
    """May ``user`` publish capacity at ``site``? Agents only for their sites."""
    if not user.is_active:
        return False
    if user.role == Role.SUPERVISOR:
        return True
    if user.role == Role.AGENT:
        return user.sites.filter(pk=site.pk).exists()
    return False


def visible_appointments(user: User) -> Q:
    """A filter for the appointments ``user`` may see (and so act on)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.APPLICANT:
        return Q(applicant__user=user)
    if user.role == Role.MEDIATOR:
        if user.access_point_id is None:
            return Q(booked_by=user)
        return Q(booked_by__access_point_id=user.access_point_id)
    if user.role == Role.AGENT:
        return Q(slot__site__in=user.sites.all())
    if user.role == Role.SUPERVISOR:
        return Q()
    return Q(pk__in=[])
