"""Court-ordered convocations (``/agent/injunctions/``): the list of the orders
of the agent's sites (supervisors: all) with their states, recording an order
(the person found by document or booking reference with their date of birth,
or registered as a walk-in), and an order's page: booking it on priority
capacity before the deadline, then the convocation and the messages owed.

Agents and supervisors only (anyone else logged in: 403). An order of another
site answers 404, as one that does not exist. Writes go through
``booking.services``; a refusal is a ``DomainError`` shown on the form. POSTs
are counted under the ``injunctions`` rate limit.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.injunction_forms import ConvokeForm, InjunctionFilterForm, InjunctionForm
from booking import injunctions as selectors
from booking.calendar import parse_date
from booking.identity import Identity
from booking.models import Applicant, Injunction, Site
from booking.permissions import managed_sites
from booking.services import applicant_create, injunction_convoke, injunction_record
from core.errors import DomainError
from core.parsing import parse_id
from core.ratelimit import ratelimited
from core.views import domain_error_message
from mediation.forms import FindByDocumentForm, FindByReferenceForm, WalkInForm
from notifications.selectors import message_delivery, messages_of_appointments

LIST_LIMIT = 300
# The people found by the last search (their ids), and the one chosen for the order.
_FOUND = "injunction_people"
_CHOSEN = "injunction_person"


def _staff(request: HttpRequest) -> None:
    if not selectors.can_handle_injunctions(request.user):
        raise PermissionDenied


def _sites(request: HttpRequest):
    return Site.objects.filter(managed_sites(request.user), is_active=True).order_by("name")


def _injunction_or_404(request: HttpRequest, pk: int) -> Injunction:
    _staff(request)
    found = selectors.injunction_for_staff(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


# --- The list ------------------------------------------------------------------------------


@require_GET
@login_required
def injunction_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    now = timezone.now()
    form = InjunctionFilterForm(request.GET or None, sites=_sites(request))
    state = site = None
    if form.is_valid():
        state = form.cleaned_data.get("state") or None
        site = form.cleaned_data.get("site")
    rows = list(
        selectors.injunctions_for(user=request.user, state=state, site=site, now=now)[:LIST_LIMIT]
    )
    return render(
        request,
        "office/injunctions/list.html",
        {
            "office_page": "injunctions",
            "form": form,
            "rows": rows,
            "limit": LIST_LIMIT,
            "counts": selectors.injunction_counts(request.user, now=now),
            "at_risk_days": settings.INJUNCTION_AT_RISK_DAYS,
        },
    )


# --- Recording an order -------------------------------------------------------------------


def _chosen(request: HttpRequest) -> Applicant | None:
    pk = request.session.get(_CHOSEN)
    if not isinstance(pk, int):
        return None
    return Applicant.objects.filter(pk=pk).first()


def _choose(request: HttpRequest, person: Applicant) -> HttpResponse:
    request.session[_CHOSEN] = person.pk
    request.session.pop(_FOUND, None)
    return redirect("agent:injunction_new")


def _found(request: HttpRequest) -> list[Applicant]:
    ids = request.session.get(_FOUND)
    if not isinstance(ids, list) or not ids:
        return []
    return list(Applicant.objects.filter(pk__in=[i for i in ids if isinstance(i, int)]))


@require_http_methods(["GET", "POST"])
@login_required
@ratelimited("injunctions")
def injunction_new(request: HttpRequest) -> HttpResponse:
    _staff(request)
    sites = _sites(request)
    person = _chosen(request)
    by_document = FindByDocumentForm(prefix="document")
    by_reference = FindByReferenceForm(prefix="reference")
    walk_in = WalkInForm(prefix="walk_in")
    order = InjunctionForm(sites=sites, initial={"site": sites.first()})
    action = request.POST.get("action") if request.method == "POST" else None
    if action in ("document", "reference"):
        searched: list[Applicant] | None = None
        if action == "document":
            by_document = FindByDocumentForm(request.POST, prefix="document")
            if by_document.is_valid():
                searched = selectors.people_find(actor=request.user, **by_document.cleaned_data)
            form = by_document
        else:
            by_reference = FindByReferenceForm(request.POST, prefix="reference")
            if by_reference.is_valid():
                one = selectors.person_by_reference(actor=request.user, **by_reference.cleaned_data)
                searched = [one] if one is not None else []
            form = by_reference
        if searched is not None:
            if len(searched) == 1:
                return _choose(request, searched[0])
            if searched:
                request.session[_FOUND] = [each.pk for each in searched]
            else:
                form.add_error(
                    None,
                    _("Nobody on file matches. Check the details, or register the person below."),
                )
    elif action == "choose":
        wanted = request.POST.get("person", "")
        for each in _found(request):
            if str(each.pk) == wanted:
                return _choose(request, each)
        messages.error(request, _("Search for the person again."))
        return redirect("agent:injunction_new")
    elif action == "register":
        walk_in = WalkInForm(request.POST, prefix="walk_in")
        if walk_in.is_valid():
            data = walk_in.cleaned_data
            try:
                registered = applicant_create(
                    actor=request.user,
                    user=None,
                    identity=Identity.from_form(data),
                    phone=data["phone"],
                    email=data["email"],
                    preferred_language=data["language"],
                )
            except DomainError as exc:
                walk_in.add_error(None, domain_error_message(exc))
            else:
                return _choose(request, registered)
    elif action == "change":
        request.session.pop(_CHOSEN, None)
        return redirect("agent:injunction_new")
    elif action == "record":
        if person is None:
            messages.error(request, _("Find or register the person first."))
            return redirect("agent:injunction_new")
        order = InjunctionForm(request.POST, sites=sites)
        if order.is_valid():
            try:
                recorded = injunction_record(
                    actor=request.user, applicant=person, **order.cleaned_data
                )
            except DomainError as exc:
                order.add_error(None, domain_error_message(exc))
            else:
                request.session.pop(_CHOSEN, None)
                messages.success(
                    request, _("The court order is recorded. Book the convocation now.")
                )
                return redirect("agent:injunction", pk=recorded.pk)
    return render(
        request,
        "office/injunctions/new.html",
        {
            "office_page": "injunctions",
            "person": person,
            "found": _found(request) if person is None else [],
            "by_document": by_document,
            "by_reference": by_reference,
            "walk_in": walk_in,
            "order": order,
        },
    )


# --- An order ------------------------------------------------------------------------------


def _detail(
    request: HttpRequest, found: Injunction, *, form: ConvokeForm | None = None
) -> HttpResponse:
    now = timezone.now()
    state = selectors.injunction_state(found, now=now)
    served = state not in selectors.NOT_SERVED_STATES
    choice = None
    query = request.GET if request.method == "GET" else request.POST
    any_pool = query.get("pools") == "all"
    if not served:
        wanted = parse_id(query.get("site", ""))
        site = Site.objects.filter(pk=wanted).first() if wanted is not None else None
        choice = selectors.convocation_choice(
            user=request.user,
            injunction=found,
            site=site,
            requested=parse_date(query.get("from")),
            any_pool=any_pool,
            now=now,
        )
    owed = []
    if served:
        owed = [
            (message, message_delivery(message))
            for message in messages_of_appointments([found.appointment_id])[found.appointment_id]
        ]
    return render(
        request,
        "office/injunctions/detail.html",
        {
            "office_page": "injunctions",
            "found": found,
            "state": state,
            "served": served,
            "choice": choice,
            "any_pool": any_pool,
            "form": form or ConvokeForm(),
            "owed": owed,
            "week_url": reverse("agent:injunction", args=[found.pk]),
        },
    )


@require_GET
@login_required
def injunction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _injunction_or_404(request, pk))


@require_POST
@login_required
@ratelimited("injunctions")
def injunction_convocation(request: HttpRequest, pk: int) -> HttpResponse:
    found = _injunction_or_404(request, pk)
    form = ConvokeForm(request.POST)
    if form.is_valid():
        try:
            injunction_convoke(
                actor=request.user, injunction=found, slot_id=form.cleaned_data["slot"]
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(
                request,
                _("The appointment is booked and the person is told by the channels they have."),
            )
            return redirect("agent:injunction", pk=found.pk)
    return _detail(request, found, form=form)
