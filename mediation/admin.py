"""Access points in the admin: scoped (supervisors all, a mediator their own
point) and written through ``mediation.services``, which audits each change."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest

from accounts.admin_base import ScopedAdmin
from accounts.models import User
from accounts.permissions import managed_access_points
from mediation import services
from mediation.models import AccessPoint


@admin.register(AccessPoint)
class AccessPointAdmin(ScopedAdmin):
    list_display = ("name", "city", "postcode", "phone", "is_active")
    list_filter = ("is_active", "city")
    search_fields = ("name", "slug", "city", "postcode")
    prepopulated_fields = {"slug": ("name",)}
    audit_admin_changes = False  # the services audit, with the fields before and after

    def admin_scope(self, user: User) -> Q:
        return managed_access_points(user)

    def _supervises(self, request: HttpRequest) -> bool:
        return services.supervises(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._supervises(request) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Accounts and identities refer to it: deactivate it instead.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if self._supervises(request):
            return ()
        return tuple(sorted(services.SUPERVISOR_FIELDS))

    def get_prepopulated_fields(self, request: HttpRequest, obj=None):
        return self.prepopulated_fields if self._supervises(request) else {}

    def save_model(self, request: HttpRequest, obj: AccessPoint, form, change: bool) -> None:
        if not change:
            services.access_point_create(actor=request.user, access_point=obj)
            return
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.ACCESS_POINT_FIELDS
        }
        saved = services.access_point_update(actor=request.user, access_point=obj, changes=changes)
        # The page shows and logs the object as saved.
        obj.__dict__.update({name: getattr(saved, name) for name in services.ACCESS_POINT_FIELDS})
