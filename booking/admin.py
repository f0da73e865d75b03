"""Admin for the booking domain.

Reference data (sites, procedures) is edited here. Capacity, identities and
appointments are only *read* here: every change of that state goes through
``booking.services`` (the agents' and applicants' screens), which hold the
database invariants and record who did what. So the admin has no add, change
or delete for slots, publications and appointments, and an applicant's
identity is read-only (only contact details can be corrected).

Staff who are not administrators see only their share (``accounts.admin_base.ScopedAdmin``
with the rules of ``booking.permissions``): an agent their sites, a mediator
their access point's people and bookings.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ScopedAdmin
from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from booking.capacity import Visibility, publication_visibility, slot_visibility
from booking.forms import WalkInContactAdminForm
from booking.identity import IDENTITY_FIELDS
from booking.models import Applicant, Appointment, Procedure, Publication, Site, Slot
from booking.permissions import managed_sites, visible_applicants, visible_appointments
from core.admin import ReadOnlyAdmin


class AtManagedSites(ScopedAdmin):
    """Rows of a site the user works at (agents: theirs; supervisors: all)."""

    def admin_scope(self, user: User) -> Q:
        return Q(site__in=Site.objects.filter(managed_sites(user)))


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    list_display = ("name", "slug", "postcode", "city", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "city", "postcode")
    prepopulated_fields = {"slug": ("name",)}

    def admin_scope(self, user: User) -> Q:
        return managed_sites(user)


@admin.register(Procedure)
class ProcedureAdmin(ScopedAdmin):
    list_display = (
        "name",
        "slug",
        "duration_minutes",
        "required_document",
        "self_booking",
        "horizon_days",
        "cutoff_hours",
        "is_active",
    )
    list_filter = ("is_active", "self_booking", "required_document")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def admin_scope(self, user: User) -> Q:
        return Q()  # reference data, the same for every site


def visibility_shown(shown: Visibility) -> str:
    def when(moment) -> str:
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")

    if shown.window is not None:
        return gettext("at a random moment between %(start)s and %(end)s") % {
            "start": when(shown.window[0]),
            "end": when(shown.window[1]),
        }
    return when(shown.at)


@admin.register(Publication)
class PublicationAdmin(AtManagedSites, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "site",
        "procedure",
        "date_from",
        "date_to",
        "visible_from",
        "slots_created",
        "seats_created",
        "created_by",
    )
    list_filter = ("site", "procedure")
    list_select_related = ("site", "procedure", "created_by")
    search_fields = ("created_by__email",)
    date_hierarchy = "created_at"
    # A moment drawn at random is not shown before it passes: its window is.
    exclude = ("visible_at",)
    readonly_fields = ("visible_from",)

    @admin.display(description=_("visible from"))
    def visible_from(self, publication: Publication) -> str:
        return visibility_shown(publication_visibility(publication, now=timezone.now()))


@admin.register(Slot)
class SlotAdmin(AtManagedSites, ReadOnlyAdmin):
    list_display = (
        "starts_at",
        "ends_at",
        "site",
        "procedure",
        "pool",
        "capacity",
        "booked",
        "visible_from",
    )
    list_filter = ("site", "procedure", "pool")
    list_select_related = ("site", "procedure", "publication")
    exclude = ("published_at",)
    readonly_fields = ("visible_from",)

    @admin.display(description=_("visible from"))
    def visible_from(self, slot: Slot) -> str:
        return visibility_shown(slot_visibility(slot, now=timezone.now()))

    search_fields = ("site__name", "procedure__name")
    date_hierarchy = "starts_at"
    show_full_result_count = False


@admin.register(Applicant)
class ApplicantAdmin(ScopedAdmin):
    """The identity and the account it belongs to are read-only; contact details are not."""

    list_display = (
        "__str__",
        "birth_date",
        "nationality",
        "document_type",
        "document_number",
        "user",
        "created_at",
    )
    list_filter = ("document_type", "nationality")
    list_select_related = ("user",)
    search_fields = ("surname", "given_names", "=document_number", "email", "user__email")
    fieldsets = (
        (_("Identity"), {"fields": (*IDENTITY_FIELDS, "identity_key")}),
        (
            _("Account and contact"),
            {"fields": ("user", "access_point", "email", "phone", "preferred_language")},
        ),
        (None, {"fields": ("created_at",)}),
    )
    readonly_fields = (*IDENTITY_FIELDS, "identity_key", "user", "access_point", "created_at")
    show_full_result_count = False
    audit_admin_changes = False  # save_model records the contact change itself
    form = WalkInContactAdminForm  # a walk-in's phone: a mobile of CONTACT_PHONE_REGIONS

    def admin_scope(self, user: User) -> Q:
        return visible_applicants(user)

    def get_readonly_fields(self, request: HttpRequest, obj: Applicant | None = None):
        # An account's messages go to its own confirmed contacts: the identity's
        # copy is not where they are changed (the account's pages are).
        if obj is not None and obj.user_id is not None:
            return (*self.readonly_fields, "email", "phone")
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new identity is recorded by booking.services.applicant_create only.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Applicant, form, change: bool) -> None:
        """A change of contact details by staff is a staff action: audited with it."""
        changed = [name for name in form.changed_data if name in form.initial]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if changed:
                audit_record(
                    actor=request.user,
                    action=AuditAction.CONTACT_CHANGED,
                    subject_user=obj.user,
                    applicant=obj,
                    details={
                        "by": "admin",
                        "before": {name: str(form.initial[name]) for name in changed},
                        "after": {name: str(form.cleaned_data[name]) for name in changed},
                    },
                )


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdmin, ReadOnlyAdmin):
    list_display = (
        "reference",
        "slot_starts_at",
        "site",
        "procedure",
        "surname",
        "given_names",
        "status",
        "channel",
        "booked_by",
        "created_at",
    )
    list_filter = ("status", "channel", "procedure", "slot__site")
    list_select_related = ("slot__site", "procedure", "booked_by")
    search_fields = ("=reference", "surname", "given_names", "=document_number")
    show_full_result_count = False

    def admin_scope(self, user: User) -> Q:
        return visible_appointments(user)

    @admin.display(description=_("starts at"), ordering="slot__starts_at")
    def slot_starts_at(self, obj: Appointment):
        return obj.slot.starts_at

    @admin.display(description=_("site"), ordering="slot__site__name")
    def site(self, obj: Appointment):
        return obj.slot.site
