"""The waiting list in the admin: read-only (every change goes through the services)."""

from __future__ import annotations

from django.contrib import admin

from allocation.models import Offer, WaitlistEntry


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(_ReadOnly):
    list_display = ("pk", "procedure", "status", "priority_class", "queued_at", "joined_at")
    list_filter = ("status", "procedure", "priority_class")
    raw_id_fields = ("applicant", "appointment", "created_by", "access_point")


@admin.register(Offer)
class OfferAdmin(_ReadOnly):
    list_display = ("pk", "procedure", "slot", "status", "created_at", "expires_at")
    list_filter = ("status", "procedure")
    raw_id_fields = ("entry", "applicant", "slot", "appointment")
