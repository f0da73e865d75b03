"""Supervisors raise a point's daily cap, or one of its mediators', for one day,
with a reason (``mediation.services.cap_raise``, audited there)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message
from mediation import services
from mediation.forms import CapRaiseForm
from mediation.models import AccessPoint
from mediation.selectors import day_usage
from mediation.views.common import supervisor_required


def _chosen_point(request: HttpRequest) -> AccessPoint | None:
    """The point the page was opened for (``?access_point=<id>``), if any."""
    value = request.GET.get("access_point", "")
    if not (value.isascii() and value.isdigit() and len(value) < 12):
        return None
    return AccessPoint.objects.filter(pk=int(value), is_active=True).first()


@require_http_methods(["GET", "POST"])
@supervisor_required
@ratelimited("mediation")
def cap_raise(request: HttpRequest) -> HttpResponse:
    point = _chosen_point(request)
    initial = {"access_point": point} if point is not None else {}
    form = CapRaiseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.cap_raise(
                actor=request.user,
                access_point=data["access_point"],
                mediator=data["mediator"],
                day=data["day"],
                extra=data["extra"],
                reason=data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(
                request,
                _("The cap is raised by %(extra)s for %(day)s.")
                % {"extra": data["extra"], "day": data["day"].strftime("%d/%m/%Y")},
            )
            return redirect(f"{request.path}?access_point={data['access_point'].pk}")
    usage = None
    if point is not None:
        usage = day_usage(access_point=point, day=timezone.localdate())
    return render(
        request,
        "mediation/console/cap_raise.html",
        {"form": form, "chosen": point, "usage": usage, "console_page": "caps"},
    )
