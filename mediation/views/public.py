"""Public pages about getting help: the access points and the substitution route."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from booking.models import Site
from mediation.models import AccessPoint


@require_GET
def points(request: HttpRequest) -> HttpResponse:
    """The digital access points whose mediators help people book, each with
    its opening periods (one query for all of them)."""
    return render(
        request,
        "mediation/points.html",
        {"points": AccessPoint.objects.filter(is_active=True).prefetch_related("opening_periods")},
    )


@require_GET
def substitution(request: HttpRequest) -> HttpResponse:
    """How to obtain an appointment when online booking does not work for you."""
    return render(
        request,
        "mediation/substitution.html",
        {"sites": Site.objects.filter(is_active=True)},
    )
