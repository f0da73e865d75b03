"""The page where an account takes over the file a mediator or an agent
registered for the person (a walk-in): a booking reference of that file, the
date of birth and the document number on it (``booking.services.applicant_claim``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import is_verified
from booking import errors, services
from booking.identity.forms import IdentityClaimForm
from booking.identity.selectors import applicant_of
from booking.views.common import applicant_required
from core.client import client_address
from core.errors import DomainError
from core.views import domain_error_message


@require_http_methods(["GET", "POST"])
@applicant_required
def identity_claim(request: HttpRequest) -> HttpResponse:
    if applicant_of(request.user) is not None:
        # One identity per account: the page of the one on file says what it is.
        messages.info(request, errors.IdentityAlreadyOnFile.default_message)
        return redirect("booking:identity")
    if not is_verified(request.user):
        messages.info(request, errors.ClaimAccountNotVerified.default_message)
        return redirect("accounts:verify")
    form = IdentityClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.applicant_claim(
                actor=request.user,
                reference=data["reference"],
                birth_date=data["birth_date"],
                document_number=data["document_number"],
                ip=client_address(request),
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("Your file is now in your account, with its appointments."))
            return redirect("booking:my_appointments")
    return render(request, "booking/identity_claim.html", {"form": form})
