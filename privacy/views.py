"""The pages of "My data": download everything, delete my account.

They sit under the account's URLs and names (``accounts:data_export``,
``accounts:delete``: ``privacy.urls``, included by ``config.urls``).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from booking.identity.selectors import applicant_of
from booking.models import AppointmentStatus
from core.errors import DomainError
from core.views import domain_error_message, domain_errors
from privacy import services
from privacy.forms import DeleteAccountForm


def _to_me(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("accounts:me")


@require_GET
@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    data = services.personal_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="guichet-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors(fallback=_to_me)
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role != Role.APPLICANT:
        messages.info(request, _("Staff accounts are closed by an administrator."))
        return redirect("accounts:me")
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.account_delete(user=user, password=form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error("password", domain_error_message(exc))
        else:
            logout(request)
            messages.success(
                request,
                _("Your account is deleted. %(count)s future appointment(s) were cancelled.")
                % {"count": result.cancelled},
            )
            return redirect("home")
    applicant = applicant_of(user)
    future = []
    if applicant is not None:
        future = list(
            applicant.appointments.filter(
                status=AppointmentStatus.BOOKED, slot__starts_at__gt=timezone.now()
            ).select_related("slot__site", "procedure")
        )
    return render(request, "accounts/delete.html", {"form": form, "future": future})
