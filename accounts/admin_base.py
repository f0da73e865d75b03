"""The admin base that obeys the object-level rules of ``accounts.permissions``.

Administrators (superusers) see everything. Other staff given access to the
admin (``is_staff`` and model permissions) see and change only the rows the
rules give them: an agent their sites' slots and appointments, a mediator
their access point's people. Applicants get nothing, even with ``is_staff``.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from accounts.models import STAFF_ROLES, User
from audit.models import AuditAction
from audit.services import audit_record


def _staff(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role in STAFF_ROLES))


class ScopedAdmin(admin.ModelAdmin):
    """A ``ModelAdmin`` whose rows, for non-superusers, are ``admin_scope(user)``.

    A row outside the scope is answered as missing, and neither changed nor deleted.
    Every addition, change and deletion made through it is a staff action: it is
    audited beside Django's own admin log, in the admin's transaction.
    """

    # False where save_model audits the change itself, in the domain's words.
    audit_admin_changes = True

    def admin_scope(self, user: User) -> Q:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return rows
        if not _staff(user):
            return rows.none()
        return rows.filter(self.admin_scope(user))

    def _in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if not _staff(request.user):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _staff(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return _staff(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def _audit(self, request: HttpRequest, obj: Model, operation: str, message) -> None:
        if not self.audit_admin_changes:
            return
        audit_record(
            actor=request.user,
            action=AuditAction.ADMIN_CHANGED,
            details={
                "operation": operation,
                "model": obj._meta.label,
                "pk": obj.pk,
                "object": str(obj)[:200],
                # Django's change message: which fields changed (JSON-ready).
                "message": json.loads(json.dumps(message, default=str)),
            },
        )

    def log_addition(self, request: HttpRequest, obj: Model, message):
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, "add", message)
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message):
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, "change", message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: QuerySet):
        for obj in queryset:
            self._audit(request, obj, "delete", "")
        return super().log_deletions(request, queryset)
