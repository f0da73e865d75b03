"""A point's opening hours, kept by its own mediators: a booking they make
outside them is flagged (``mediation.services.opening_periods_set``, audited there)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message
from mediation import services
from mediation.forms import OpeningHoursForm
from mediation.models import OpeningPeriod
from mediation.views.common import mediator_required


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("mediation")
def hours(request: HttpRequest) -> HttpResponse:
    point = request.user.access_point
    current = list(OpeningPeriod.objects.filter(access_point=point).order_by("weekday", "opens"))
    form = OpeningHoursForm(
        request.POST or None,
        periods=[(period.weekday, period.opens, period.closes) for period in current],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.opening_periods_set(
                actor=request.user, access_point=point, periods=form.periods()
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("The opening hours are saved."))
            return redirect("mediation:hours")
    return render(
        request,
        "mediation/console/hours.html",
        {
            "point": point,
            "form": form,
            "periods": current,
            "console_page": "hours",
        },
    )
