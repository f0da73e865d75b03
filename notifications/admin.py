"""Staff see what was sent to whom and whether it arrived; nobody edits it here."""

from __future__ import annotations

from django.contrib import admin

from booking.admin import ReadOnlyAdmin
from notifications.models import AlertSubscription, Message, SmsOptOut


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "template_key",
        "channel",
        "destination",
        "appointment",
        "status",
        "attempts",
        "sent_at",
        "delivered_at",
    )
    list_filter = ("status", "channel", "template_key", "language")
    search_fields = ("appointment__reference", "destination", "provider_id", "applicant__surname")
    list_select_related = ("appointment",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Message._meta.fields]


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("applicant", "procedure", "channels", "is_active", "created_at")
    list_filter = ("is_active", "channels", "procedure")
    search_fields = ("applicant__surname", "applicant__phone", "applicant__email")


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ReadOnlyAdmin):
    list_display = ("phone", "created_at")
    search_fields = ("phone",)
