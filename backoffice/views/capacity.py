"""Agents' capacity pages (``/agent/``): publishing with a preview, the
calendar per site and procedure (week, month), a day's slots with their
capacity changed and counters moved between pools.

Agents and supervisors only (anyone else logged in: 403). An agent sees and
changes their sites only (``booking.permissions``; supervisors: all): another
site, its days and slots answer 404 like ones that do not exist. Writes go
through ``booking.services``, rate-limited (``capacity``). The moment drawn
for a random visibility is never shown before it passes
(``booking.capacity.visibility``).
"""

from __future__ import annotations

import calendar as calendar_module
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from backoffice.capacity_forms import (
    CountersMoveForm,
    PublishForm,
    SlotCapacityForm,
    parse_day,
    staff_sites,
)
from booking import rules
from booking.capacity import capacity_by_day, day_slots, publication_visibility, slot_visibility
from booking.models import Pool, Procedure, Site
from booking.services import (
    publication_preview,
    slot_capacity_change,
    slot_counters_move,
    slots_publish,
)
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message

STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR)
POOL_LABELS = dict(Pool.choices)


def agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role not in STAFF_ROLES:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def visibility_text(shown) -> str:
    """How a visibility is told: the window while a random moment is to come."""
    if shown.window is not None:
        return _("at a random moment between %(start)s and %(end)s") % {
            "start": _when(shown.window[0]),
            "end": _when(shown.window[1]),
        }
    if shown.visible:
        return _("visible since %(moment)s") % {"moment": _when(shown.at)}
    return _("visible from %(moment)s") % {"moment": _when(shown.at)}


def calendar_url(site: Site, procedure: Procedure, day: date, view: str = "week") -> str:
    query = urlencode(
        {"site": site.slug, "procedure": procedure.slug, "view": view, "date": day.isoformat()}
    )
    return f"{reverse('agent:calendar')}?{query}"


# --- Publishing ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agents_only
@ratelimited("capacity")
def publish(request: HttpRequest) -> HttpResponse:
    """The form; a valid one shows the preview, whose button re-posts the same
    fields with ``action=publish``: checked again in full before publishing."""
    form = PublishForm(request.user, request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            if request.POST.get("action") == "publish":
                result = slots_publish(actor=request.user, **arguments)
            else:
                preview = publication_preview(actor=request.user, **arguments)
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            if preview is None:
                shown = publication_visibility(result.publication, now=timezone.now())
                messages.success(
                    request,
                    _(
                        "Capacity published: %(slots)s slots, %(seats)s seats "
                        "(%(skipped)s already existed), %(visibility)s."
                    )
                    % {
                        "slots": result.created,
                        "seats": result.publication.seats_created,
                        "skipped": result.skipped,
                        "visibility": visibility_text(shown),
                    },
                )
                return redirect(
                    calendar_url(arguments["site"], arguments["procedure"], arguments["date_from"])
                )
    context = {"form": form, "preview": preview, "office_page": "publish"}
    if preview is not None:
        context["preview_rows"] = _preview_rows(preview)
        context["visibility"] = _planned_visibility(preview.plan)
    return render(request, "office/capacity/publish.html", context)


def _preview_rows(preview) -> list[dict]:
    pools = [pool for pool, _seats in preview.plan.pools]
    return [
        {
            "day": day.day,
            "pools": [day.pool(pool) for pool in pools],
            "slots": day.slots,
            "seats": day.seats,
            "clashes": day.clashes,
            "overlaps": day.overlaps,
        }
        for day in preview.days
    ]


def _planned_visibility(plan) -> str:
    if plan.random_window:
        return _("at a random moment between %(start)s and %(end)s") % {
            "start": _when(plan.visible_at),
            "end": _when(plan.visible_until),
        }
    if plan.visible_at is not None:
        return _("visible from %(moment)s") % {"moment": _when(plan.visible_at)}
    return _("visible as soon as they are published")


# --- The calendar ---------------------------------------------------------------------------


def _choice(request: HttpRequest, name: str, choices: list) -> object:
    """The choice named by ``?name=<slug>``, the first when missing; 404 when the
    slug is not among them (another agent's site answers as a missing one)."""
    slug = request.GET.get(name)
    if not slug:
        return choices[0] if choices else None
    found = next((choice for choice in choices if choice.slug == slug), None)
    if found is None:
        raise Http404
    return found


def _month_end(day: date) -> date:
    return day.replace(day=calendar_module.monthrange(day.year, day.month)[1])


@require_GET
@agents_only
def calendar(request: HttpRequest) -> HttpResponse:
    sites = list(staff_sites(request.user))
    procedures = list(Procedure.objects.filter(is_active=True).order_by("name"))
    site = _choice(request, "site", sites)
    procedure = _choice(request, "procedure", procedures)
    view = "month" if request.GET.get("view") == "month" else "week"
    day = parse_day(request.GET.get("date", "")) or timezone.localdate()
    if view == "month":
        start, end = day.replace(day=1), _month_end(day)
        previous, following = start - timedelta(days=1), end + timedelta(days=1)
        title = date_format(start, "YEAR_MONTH_FORMAT")
    else:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6)
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
        title = _("Week of %(day)s") % {"day": date_format(start, "DATE_FORMAT")}
    context = {
        "office_page": "calendar",
        "sites": sites,
        "procedures": procedures,
        "site": site,
        "procedure": procedure,
        "view": view,
        "day": day,
        "title": title,
        "pools": [(pool, POOL_LABELS[pool]) for pool in Pool.values],
    }
    if site is not None and procedure is not None:
        days = capacity_by_day(site=site, procedure=procedure, date_from=start, date_to=end)
        # The pools the site publishes into now, and any other that has capacity
        # in the period (before a change of allocation mode).
        current = rules.pools_of_site(procedure.pk, site.pk)
        shown = [
            pool
            for pool in Pool.values
            if pool in current or any(entry.pool(pool).capacity for entry in days)
        ]
        context["pools"] = [(pool, POOL_LABELS[pool]) for pool in shown]
        context |= {
            "days": [
                {
                    "day": entry.day,
                    "url": reverse(
                        "agent:calendar_day",
                        args=[site.slug, procedure.slug, entry.day.isoformat()],
                    ),
                    "pools": [entry.pool(pool) for pool in shown],
                    "total": entry.total,
                }
                for entry in days
            ],
            "previous_url": calendar_url(site, procedure, previous, view),
            "next_url": calendar_url(site, procedure, following, view),
            "other_view_url": calendar_url(
                site, procedure, day, "week" if view == "month" else "month"
            ),
        }
    return render(request, "office/capacity/calendar.html", context)


# --- A day's slots ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agents_only
@ratelimited("capacity")
def calendar_day(request: HttpRequest, site: str, procedure: str, day: str) -> HttpResponse:
    the_site = staff_sites(request.user).filter(slug=site).first()
    the_procedure = Procedure.objects.filter(slug=procedure).first()
    the_day = parse_day(day)
    if the_site is None or the_procedure is None or the_day is None:
        raise Http404
    slots = day_slots(site=the_site, procedure=the_procedure, day=the_day)
    error_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        form_class = CountersMoveForm if action == "move" else SlotCapacityForm
        error_form = form_class(request.POST)
        if error_form.is_valid():
            data = error_form.cleaned_data
            slot = next((s for s in slots if s.pk == data["slot"]), None)
            try:
                if slot is None:
                    error_form.add_error(None, _("This time slot does not exist."))
                elif action == "move":
                    slot_counters_move(
                        actor=request.user,
                        site=the_site,
                        procedure=the_procedure,
                        starts_at=slot.starts_at,
                        from_pool=slot.pool,
                        to_pool=data["to_pool"],
                        count=data["count"],
                    )
                    messages.success(request, _("The counters are moved."))
                else:
                    slot_capacity_change(actor=request.user, slot=slot, capacity=data["capacity"])
                    messages.success(request, _("The capacity is changed."))
            except DomainError as exc:
                error_form.add_error(None, domain_error_message(exc))
            if not error_form.errors:
                return redirect(request.path)
    now = timezone.now()
    targets = rules.pools_of_site(the_procedure.pk, the_site.pk)
    rows = [
        {
            "slot": slot,
            "pool": POOL_LABELS.get(slot.pool, slot.pool),
            "free": slot.remaining,
            "visibility": visibility_text(slot_visibility(slot, now=now)),
            "past": slot.starts_at <= now,
            "other_pools": [
                (p, label) for p, label in Pool.choices if p != slot.pool and p in targets
            ],
        }
        for slot in slots
    ]
    context = {
        "office_page": "calendar",
        "site": the_site,
        "procedure": the_procedure,
        "day": the_day,
        "rows": rows,
        "form": error_form,
        "back_url": calendar_url(the_site, the_procedure, the_day),
        "previous_url": reverse(
            "agent:calendar_day",
            args=[the_site.slug, the_procedure.slug, (the_day - timedelta(days=1)).isoformat()],
        ),
        "next_url": reverse(
            "agent:calendar_day",
            args=[the_site.slug, the_procedure.slug, (the_day + timedelta(days=1)).isoformat()],
        ),
    }
    return render(request, "office/capacity/day.html", context, status=200)
