"""Writes on access points: created by supervisors, their details kept up to
date by supervisors or by the point's own mediators. Every change is audited
with the fields before and after, in the change's transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Role, User
from accounts.permissions import managed_access_points
from audit.models import AuditAction
from audit.services import audit_record
from mediation.errors import AccessPointNotAllowed
from mediation.models import AccessPoint

# What may change through ``access_point_update``.
ACCESS_POINT_FIELDS = (
    "slug",
    "name",
    "address",
    "postcode",
    "city",
    "phone",
    "opening_hours",
    "is_active",
)
# A point's address in URLs and whether it is offered at all: a supervisor's call.
SUPERVISOR_FIELDS = frozenset({"slug", "is_active"})


def supervises(actor: User) -> bool:
    """Supervisors and administrators: they create access points and decide
    their slug and whether they are offered."""
    return bool(actor.is_active and (actor.is_superuser or actor.role == Role.SUPERVISOR))


def _fields_of(point: AccessPoint, names) -> dict[str, Any]:
    return {name: getattr(point, name) for name in names}


def access_point_create(*, actor: User, access_point: AccessPoint) -> AccessPoint:
    """Save the new (unsaved, validated) ``access_point``. Supervisors and
    administrators only."""
    if not supervises(actor):
        raise AccessPointNotAllowed()
    with transaction.atomic():
        access_point.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.ACCESS_POINT_CREATED,
            details={
                "access_point": access_point.pk,
                "after": _fields_of(access_point, ACCESS_POINT_FIELDS),
            },
        )
    return access_point


def access_point_update(
    *, actor: User, access_point: AccessPoint, changes: dict[str, Any]
) -> AccessPoint:
    """Apply ``changes`` (validated values of ``ACCESS_POINT_FIELDS``) to the
    point and return it as saved. A supervisor or administrator may change any
    point; a mediator only their own, and neither its slug nor whether it is
    active. The values before are read from the locked row, not from the
    instance passed (a form may have changed it already)."""
    unknown = set(changes) - set(ACCESS_POINT_FIELDS)
    if unknown:
        raise ValueError(f"Not a field of an access point: {sorted(unknown)}")
    with transaction.atomic():
        rows = AccessPoint.objects.select_for_update()
        if not actor.is_superuser:
            rows = rows.filter(managed_access_points(actor))
        locked = rows.filter(pk=access_point.pk).first()
        if locked is None or not actor.is_active:
            raise AccessPointNotAllowed()
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        if SUPERVISOR_FIELDS.intersection(changed) and not supervises(actor):
            raise AccessPointNotAllowed()
        before = _fields_of(locked, changed)
        for name in changed:
            setattr(locked, name, changes[name])
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action=AuditAction.ACCESS_POINT_CHANGED,
            details={
                "access_point": locked.pk,
                "before": before,
                "after": _fields_of(locked, changed),
            },
        )
    return locked
