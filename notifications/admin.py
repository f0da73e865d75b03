"""Staff see what was sent to whom and whether it arrived; nobody edits it here.

Staff who are not administrators see only the messages and alerts of the people
they may see (``accounts.permissions``); the SMS opt-outs are the supervisors'.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from accounts.models import Role, User
from accounts.permissions import visible_applicants, visible_appointments
from booking.admin import ReadOnlyAdmin
from booking.models import Applicant, Appointment
from core.admin import ScopedAdmin
from notifications.models import AlertSubscription, Message, SmsOptOut


def _of_visible_applicants(user: User) -> Q:
    return Q(applicant__in=Applicant.objects.filter(visible_applicants(user)))


@admin.register(Message)
class MessageAdmin(ScopedAdmin, ReadOnlyAdmin):
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

    def admin_scope(self, user: User) -> Q:
        return (
            _of_visible_applicants(user)
            | Q(appointment__in=Appointment.objects.filter(visible_appointments(user)))
            | Q(user=user)
        )


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(ScopedAdmin, ReadOnlyAdmin):
    list_display = ("applicant", "procedure", "channels", "is_active", "created_at")
    list_filter = ("is_active", "channels", "procedure")
    search_fields = ("applicant__surname", "applicant__phone", "applicant__email")

    def admin_scope(self, user: User) -> Q:
        return _of_visible_applicants(user)


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ScopedAdmin, ReadOnlyAdmin):
    list_display = ("phone", "created_at")
    search_fields = ("phone",)

    def admin_scope(self, user: User) -> Q:
        return Q() if user.role == Role.SUPERVISOR else Q(pk__in=[])
