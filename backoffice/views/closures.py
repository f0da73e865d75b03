"""Closures (``/agent/closures/``): the list, a new closure with its preview,
and a closure's page (the people told, each message's status, lifting).

Agents and supervisors only (anyone else logged in: 403); a closure of a site
the agent does not work at answers 404 like one that does not exist. Every
write goes through ``booking.services`` (closure_create, closure_lift), which
checks the site again and audits; POSTs are rate-limited (scope ``closures``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from audit.models import AuditAction, AuditEvent
from backoffice.closure_forms import ClosureForm
from booking.models import Appointment, Closure, PriorityRight, Site
from booking.permissions import managed_sites
from booking.services import closure_create, closure_lift, closure_preview
from booking.signals import CANCELLED
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message
from notifications.selectors import messages_of_appointments

CLOSING_ROLES = (Role.AGENT, Role.SUPERVISOR)
PAGE_SIZE = 50


def agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role not in CLOSING_ROLES:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def visible_closures(user):
    """The closures of the sites ``user`` works at (supervisors: all)."""
    return Closure.objects.filter(site__in=Site.objects.filter(managed_sites(user))).select_related(
        "site", "procedure", "created_by", "lifted_by"
    )


def _closure(request: HttpRequest, pk: int) -> Closure:
    closure = visible_closures(request.user).filter(pk=pk).first()
    if closure is None:
        raise Http404
    return closure


@agents_only
@require_GET
def closure_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(visible_closures(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "office/closures/list.html",
        {"office_page": "closures", "page": page, "closures": page.object_list},
    )


@agents_only
@require_http_methods(["GET", "POST"])
@ratelimited("closures")
def closure_new(request: HttpRequest) -> HttpResponse:
    form = ClosureForm(request.POST or None, user=request.user)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        where = {
            "actor": request.user,
            "site": data["site"],
            "procedure": data["procedure"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
        }
        try:
            if "confirm" in request.POST:
                closure = closure_create(**where, kind=data["kind"], reason=data["reason"])
                messages.success(
                    request,
                    _(
                        "The closure is recorded: %(slots)d slots closed, "
                        "%(appointments)d appointments cancelled."
                    )
                    % {
                        "slots": closure.slots_closed,
                        "appointments": closure.appointments_cancelled,
                    },
                )
                return redirect("agent:closure", pk=closure.pk)
            preview = closure_preview(**where)
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
    return render(
        request,
        "office/closures/new.html",
        {"office_page": "closures", "form": form, "preview": preview},
    )


@agents_only
@require_GET
def closure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    closure = _closure(request, pk)
    return render(
        request,
        "office/closures/detail.html",
        {"office_page": "closures", "closure": closure, "people": closure_people(closure)},
    )


def closure_people(closure: Closure) -> list[dict]:
    """The appointments the closure cancelled (its audit rows name them), each
    with its messages and the priority right it gave: three queries."""
    ids = AuditEvent.objects.filter(
        action=AuditAction.APPOINTMENT_CANCELLED, details__closure=closure.pk
    ).values_list("appointment_id", flat=True)
    appointments = list(
        Appointment.objects.filter(pk__in=list(ids))
        .select_related("slot", "procedure")
        .order_by("slot__starts_at", "pk")
    )
    sent = messages_of_appointments(appointments)
    rights = {
        (right.applicant_id, right.procedure_id): right
        for right in PriorityRight.objects.filter(closure=closure)
    }
    return [
        {
            "appointment": appointment,
            # The cancellation's (the confirmation of the booking is not this page's).
            "messages": [m for m in sent[appointment.pk] if m.template_key == CANCELLED],
            "right": rights.get((appointment.applicant_id, appointment.procedure_id)),
        }
        for appointment in appointments
    ]


@agents_only
@require_POST
@ratelimited("closures")
def closure_lift_view(request: HttpRequest, pk: int) -> HttpResponse:
    closure = _closure(request, pk)
    try:
        closure_lift(actor=request.user, closure=closure)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("The closure is lifted: the slots to come are open again."))
    return redirect("agent:closure", pk=closure.pk)
