"""Staff see what was sent to whom and whether it arrived; nobody edits it here.

Staff who are not administrators see only the messages and alerts of the people
they may see (``accounts.permissions``); the SMS opt-outs are the supervisors'.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ScopedAdmin
from accounts.messages import is_secret, message_subject_shown, message_text_shown
from accounts.models import Role, User
from booking.models import Applicant, Appointment
from booking.permissions import visible_applicants, visible_appointments
from core.admin import ReadOnlyAdmin
from notifications.models import AlertSubscription, Message, SmsOptOut


def _of_visible_applicants(user: User) -> Q:
    return Q(applicant__in=Applicant.objects.filter(visible_applicants(user)))


# A code or a link a message carries is shown in the message only: the admin
# shows these fields through methods that replace the body of those kinds.
_SHOWN_INSTEAD = {"subject": "subject_shown", "text": "text_shown", "html": "html_shown"}


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
    exclude = tuple(_SHOWN_INSTEAD)  # else the view-only form shows them as they are
    readonly_fields = [_SHOWN_INSTEAD.get(field.name, field.name) for field in Message._meta.fields]

    @admin.display(description=_("subject"))
    def subject_shown(self, message: Message) -> str:
        return message_subject_shown(message)

    @admin.display(description=_("text"))
    def text_shown(self, message: Message) -> str:
        return message_text_shown(message)

    @admin.display(description=_("HTML"))
    def html_shown(self, message: Message) -> str:
        return message_text_shown(message) if is_secret(message.template_key) else message.html

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
