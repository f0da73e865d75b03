"""Staff accounts, managed by supervisors (and administrators): list, create
(the person chooses a password from an e-mailed link), change role and
attachments, deactivate and reactivate, reset a lost second factor.

Who may: ``accounts.permissions.can_manage_staff`` and ``can_manage_account``;
every change goes through ``accounts.services`` and is audited there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import User
from accounts.permissions import can_manage_account, can_manage_staff
from accounts.selectors import staff_accounts
from backoffice.forms import StaffForm
from core.errors import DomainError
from core.views import domain_error_message, domain_errors


def staff_managers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_manage_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _account(request: HttpRequest, user_id: int) -> User:
    """A staff account the current user may manage; 404 otherwise (another's
    administrator account, an applicant, oneself)."""
    account = staff_accounts().filter(pk=user_id).first()
    if account is None or not can_manage_account(request.user, account):
        raise Http404
    return account


def _to_edit(request: HttpRequest, user_id: int) -> str:
    return reverse("staff:edit", args=[user_id])


@staff_managers_only
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    accounts = list(staff_accounts())
    enrolled = set(
        TOTPDevice.objects.filter(user__in=accounts, confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        {
            "account": account,
            "enrolled": account.pk in enrolled,
            "manageable": can_manage_account(request.user, account),
        }
        for account in accounts
    ]
    return render(request, "staff/list.html", {"rows": rows})


@staff_managers_only
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.staff_create(
                actor=request.user,
                email=data["email"],
                role=data["role"],
                full_name=data["full_name"],
                sites=list(data["sites"]),
                access_point=data["access_point"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(
                request,
                _("The account %(email)s is created: a link to choose a password is on its way.")
                % {"email": account.email},
            )
            return redirect("staff:list")
    return render(request, "staff/form.html", {"form": form, "account": None})


@staff_managers_only
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    initial = {
        "full_name": account.full_name,
        "role": account.role,
        "sites": list(account.sites.all()),
        "access_point": account.access_point,
    }
    form = StaffForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.staff_update(
                actor=request.user,
                user=account,
                role=data["role"],
                full_name=data["full_name"],
                sites=list(data["sites"]),
                access_point=data["access_point"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("The account %(email)s is saved.") % {"email": account})
            return redirect("staff:list")
    enrolled = TOTPDevice.objects.filter(user=account, confirmed=True).exists()
    return render(
        request, "staff/form.html", {"form": form, "account": account, "enrolled": enrolled}
    )


def _account_status_change(request: HttpRequest, user_id: int, *, service, done: str):
    account = service(actor=request.user, user=_account(request, user_id))
    messages.success(request, done % {"email": account})
    return redirect("staff:list")


@staff_managers_only
@require_POST
@domain_errors(fallback=_to_edit)
def staff_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_status_change(
        request,
        user_id,
        service=services.staff_deactivate,
        done=_("The account %(email)s is deactivated."),
    )


@staff_managers_only
@require_POST
@domain_errors(fallback=_to_edit)
def staff_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_status_change(
        request,
        user_id,
        service=services.staff_reactivate,
        done=_("The account %(email)s is active again."),
    )


@staff_managers_only
@require_POST
@domain_errors(fallback=_to_edit)
def staff_invitation(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    services.staff_invitation_send(user=account, actor=request.user)
    messages.success(
        request, _("A link to choose a password is on its way to %(email)s.") % {"email": account}
    )
    return redirect("staff:edit", user_id=account.pk)


@staff_managers_only
@require_POST
@domain_errors(fallback=_to_edit)
def staff_otp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    services.staff_otp_reset(actor=request.user, user=account)
    messages.success(
        request,
        _("%(email)s will set up two-factor authentication again at their next login.")
        % {"email": account},
    )
    return redirect("staff:edit", user_id=account.pk)
