"""The applicant's identity page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from booking import services
from booking.errors import IdentityTaken, InvalidIdentity
from booking.forms import IdentityForm
from booking.identity import Identity
from booking.identity import views as identity_views
from booking.views.common import (
    applicant_of,
    applicant_required,
)

# --- Identity ----------------------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() takes anything else for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
@applicant_required
def identity(request: HttpRequest) -> HttpResponse:
    applicant = applicant_of(request.user)
    next_url = _safe_next(request, reverse("booking:procedures"))
    if applicant is not None:
        # Correctable until an appointment uses it, read-only after: accounts decides.
        return identity_views.identity_on_file(request, applicant, next_url)
    form = IdentityForm(request.POST or None)
    document_on_file = False
    if request.method == "POST" and form.is_valid():
        try:
            services.applicant_create(
                actor=request.user,
                user=request.user,
                identity=Identity.from_form(form.cleaned_data),
                # The account's: the pages' at its registration, the header's since.
                preferred_language=request.user.language,
            )
        except (InvalidIdentity, IdentityTaken) as exc:
            identity_views.identity_refused(request, form, exc)
            # Perhaps a walk-in's file, the person's own: the page offers to take it over.
            document_on_file = isinstance(exc, IdentityTaken)
        else:
            messages.success(request, _("Your identity is recorded."))
            return redirect(next_url)
    return render(
        request,
        "booking/identity_form.html",
        {"form": form, "next": next_url, "document_on_file": document_on_file},
    )
