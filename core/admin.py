"""Admin bases that need nothing above ``core``.

The scoped and audited base, which knows users and roles, is
``accounts.admin_base.ScopedAdmin``.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by whoever has the view permission; never written through the admin.

    No add, change or delete permission, and no action (an action writes; Django
    would drop "delete selected" anyway). A base to combine with
    ``ScopedAdmin`` (``class X(ScopedAdmin, ReadOnlyAdmin)``): its permission
    checks call these through ``super()``.
    """

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}
