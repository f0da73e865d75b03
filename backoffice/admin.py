"""The audit trail in the admin: read-only for everyone, superusers included.

Registered here, not in ``audit``, because who may read it is a rule of
``accounts`` (a layer above ``audit``).

No add, change or delete permission (so no "delete selected" action either);
the database refuses UPDATE and DELETE anyway (migration 0002). Only
administrators and supervisors read it (``accounts.permissions.can_search_audit``),
whatever model permissions another staff account was given.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_search_audit
from audit.models import AuditEvent
from core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "action",
        "actor_label",
        "actor_role",
        "applicant_id",
        "appointment_reference",
        "ip",
    )
    list_filter = ("action", "actor_role", "occurred_at")
    search_fields = ("actor_label", "=appointment_reference", "=ip", "=applicant__id")
    date_hierarchy = "occurred_at"
    fields = (
        "occurred_at",
        "action",
        "actor_id",
        "actor_label",
        "actor_role",
        "subject_user_id",
        "applicant_id",
        "appointment_id",
        "appointment_reference",
        "ip",
        "details_shown",
    )
    readonly_fields = fields
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description=_("details"))
    def details_shown(self, obj: AuditEvent) -> str:
        return obj.details_text

    def _reader(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and (user.is_superuser or can_search_audit(user)))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._reader(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._reader(request) and super().has_view_permission(request, obj)
