"""How each procedure's public capacity is given out (``/agent/allocation/``):
first come, first served (``open``) or by its waiting list (``queue``), for
every site and at each site that has a mode of its own.

Agents see the page, read-only (the modes decide what their publications
become; they cannot change them); supervisors also set a mode
(``booking.services.allocation_mode_set``): the capacity to come of the sites
concerned moves between the pools ``public`` and ``queue``, and the offers
the list held there are withdrawn, their people told. A POST by anyone but a
supervisor is refused (403) before anything is read.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from allocation.staff_forms import ALL_SITES, AllocationModeForm
from backoffice.views.people import office_required
from booking import rules
from booking.models import AllocationMode, Procedure, Site
from booking.services import allocation_mode_set
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message

MODE_LABELS = dict(AllocationMode.choices)


def _rows(procedures: list[Procedure], sites: list[Site]) -> list[dict]:
    """Each procedure's mode for all sites and at each site (its own, or the
    procedure's). One query."""
    modes = rules.allocation_modes([p.pk for p in procedures])
    rows = []
    for procedure in procedures:
        general = modes.get((procedure.pk, None), AllocationMode.OPEN.value)
        rows.append(
            {
                "procedure": procedure,
                "general": general,
                "general_label": MODE_LABELS[general],
                "general_set": (procedure.pk, None) in modes,
                "sites": [
                    {
                        "site": site,
                        "mode": rules.allocation_mode(procedure.pk, site.pk, modes=modes),
                        "label": MODE_LABELS[
                            rules.allocation_mode(procedure.pk, site.pk, modes=modes)
                        ],
                        "own": (procedure.pk, site.pk) in modes,
                    }
                    for site in sites
                ],
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("capacity")
def modes(request: HttpRequest) -> HttpResponse:
    is_supervisor = request.user.role == Role.SUPERVISOR
    if request.method == "POST" and not is_supervisor:
        raise PermissionDenied
    procedures = list(Procedure.objects.filter(is_active=True).order_by("name"))
    sites = list(Site.objects.filter(is_active=True).order_by("name"))
    form = None
    if is_supervisor:
        form = AllocationModeForm(
            request.POST if request.method == "POST" else None,
            procedures=[(p.pk, p.name) for p in procedures],
            sites=[(s.pk, s.name) for s in sites],
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            procedure = next(p for p in procedures if p.pk == data["procedure"])
            site = None
            if data["site"] != ALL_SITES:
                site = next(s for s in sites if str(s.pk) == data["site"])
            try:
                allocation_mode_set(
                    actor=request.user, procedure=procedure, mode=data["mode"], site=site
                )
            except DomainError as exc:
                form.add_error(None, domain_error_message(exc))
            else:
                messages.success(
                    request,
                    _("%(procedure)s, %(where)s: %(mode)s.")
                    % {
                        "procedure": procedure.name,
                        "where": site.name if site else _("all sites without a mode of their own"),
                        "mode": MODE_LABELS[data["mode"]],
                    },
                )
                return redirect("agent:allocation_modes")
    return render(
        request,
        "office/allocation/modes.html",
        {
            "rows": _rows(procedures, sites),
            "sites": sites,
            "form": form,
            "office_page": "allocation",
        },
    )
