"""Admin for accounts: users log in by e-mail (no username) and carry a role.

API tokens are read-only: only their digest is stored and it is never shown.
To cut off a token at once, deactivate its user (``is_active``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.admin_base import ScopedAdmin
from accounts.models import STAFF_ROLES, ApiToken, IdentityClaimAttempt, Role, User
from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.languages import language_choices

# Second factors are reset on the staff pages (``staff_otp_reset``: audited, the
# account's sessions ended and its tokens revoked), never in the admin: the
# plugins' own admins show TOTP keys and backup codes, and delete or replace a
# device with none of that.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)


def _attachments_clean(form: forms.ModelForm) -> None:
    """The staff pages' rule, in the admin too: an agent has sites, a mediator
    an access point."""
    cleaned = form.cleaned_data
    role = cleaned.get("role")
    if role not in STAFF_ROLES:
        return
    try:
        services.staff_attachments_check(
            role=role,
            sites=list(cleaned.get("sites") or []),
            access_point=cleaned.get("access_point"),
        )
    except DomainError as exc:
        raise forms.ValidationError(exc.detail, code=exc.code) from None


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean_username(self):  # pragma: no cover - there is no username field
        return None

    def clean(self):
        cleaned = super().clean()
        _attachments_clean(self)
        return cleaned


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        widgets = {"language": forms.Select(choices=language_choices)}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        others = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self):
        cleaned = super().clean()
        _attachments_clean(self)
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "language")}),
        (
            _("Contact confirmation"),
            {"fields": ("phone", "email_verified_at", "phone_verified_at")},
        ),
        (_("Role"), {"fields": ("role", "sites", "access_point")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "role",
                    "sites",
                    "access_point",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("email", "full_name", "role", "access_point", "is_staff", "is_active")
    list_filter = ("role", "is_staff", "is_superuser", "is_active", "sites", "access_point")
    list_select_related = ("access_point",)
    search_fields = ("email", "full_name")
    ordering = ("email",)
    filter_horizontal = ("sites", "groups", "user_permissions")
    # Confirmations are the owner's doing (link, SMS code), not an administrator's.
    readonly_fields = (
        "last_login",
        "date_joined",
        "phone",
        "email_verified_at",
        "phone_verified_at",
    )
    show_full_result_count = False

    # Accounts (roles, attachments, admin flags) are the administrators' alone:
    # supervisors manage staff from the staff pages (/staff/).
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        previous = User.objects.filter(pk=obj.pk).first() if change else None
        # On the instance, not on this ModelAdmin (one for every request at once).
        obj._audit_before = (
            (services.staff_snapshot(previous), previous.is_active) if previous else (None, None)
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before, was_active = getattr(form.instance, "_audit_before", (None, None))
        services.account_admin_saved(
            actor=request.user, user=form.instance, before=before, was_active=was_active
        )
        if form.instance.pk == request.user.pk:
            # An administrator who changed their own role keeps this session.
            update_session_auth_hash(request, form.instance)


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin, ReadOnlyAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("=prefix", "user__email")
    fields = ("user", "prefix", "created_at", "expires_at", "last_used_at")
    readonly_fields = fields

    def admin_scope(self, user: User) -> Q:
        # Staff who are not administrators: their own tokens; supervisors: all.
        return Q() if user.role == Role.SUPERVISOR else Q(user=user)


@admin.register(IdentityClaimAttempt)
class IdentityClaimAttemptAdmin(ScopedAdmin, ReadOnlyAdmin):
    """The abuse report's raw material: read-only."""

    list_display = ("created_at", "identity_key", "account", "ip")
    list_select_related = ("account",)
    search_fields = ("=identity_key", "account__email", "=ip")
    date_hierarchy = "created_at"
    fields = ("created_at", "identity_key", "account", "ip")
    readonly_fields = fields
    show_full_result_count = False

    def admin_scope(self, user: User) -> Q:
        # Identity keys carry document numbers: the abuse report is the supervisors'.
        return Q() if user.role == Role.SUPERVISOR else Q(pk__in=[])
