"""An agent's page (``/agent/``): correcting a person's identity, with a reason.

Agents and supervisors only; an agent only for a person who has an
appointment at one of their sites (``booking.permissions.can_correct_identity``).
Anyone else logged in gets 403; a person who does not exist is a 404. Changes
go through ``accounts.services``; a refusal is a ``DomainError`` shown on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from booking.forms import AgentIdentityCorrectionForm
from booking.identity import Identity
from booking.models import Applicant
from booking.permissions import can_correct_identity
from booking.services import applicant_identity_correct
from core.errors import DomainError
from core.views import domain_error_message

CORRECTING_ROLES = (Role.AGENT, Role.SUPERVISOR)


@require_http_methods(["GET", "POST"])
@login_required
def identity_correct(request: HttpRequest, pk: int) -> HttpResponse:
    if request.user.role not in CORRECTING_ROLES:
        raise PermissionDenied
    applicant = get_object_or_404(Applicant, pk=pk)
    if not can_correct_identity(request.user, applicant):
        # A person the agent may not correct answers like one that does not exist.
        raise Http404
    initial = Identity.of(applicant).as_dict()
    form = AgentIdentityCorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            applicant_identity_correct(
                actor=request.user,
                applicant=applicant,
                reason=data["reason"],
                identity=Identity.from_form(data),
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("The identity is corrected. The correction is recorded."))
            return redirect("agent:identity_correct", pk=applicant.pk)
    appointments = applicant.appointments.select_related("procedure", "slot__site").order_by(
        "-slot__starts_at"
    )
    return render(
        request,
        "agent/identity_correct.html",
        {"applicant": applicant, "form": form, "appointments": appointments},
    )
