"""Agents booking for someone (a walk-in at the counter, a priority case):
procedure → one of their sites → week and day → confirm; and cancelling or
moving one of the person's appointments at their sites.

Everything goes through the ordinary booking services with the agent as the
actor and the channel ``agent``: the same rules as online (one active
appointment per person and procedure, the identity copied onto the
appointment), from any pool of their sites (public, mediation, priority:
``booking.permissions.allowed_pools``). The sites offered are the agent's
(``managed_sites``; supervisors: all); a site, slot or appointment elsewhere
answers 404, and the services ask again (``can_act_for``). A refusal is a
``DomainError`` shown as a message (``core.views.domain_errors``).

The week and the day are the booking calendar's (``booking.calendar``) with
the counter's window of the rulebook (``booking.rules.books_at_counter``): any
published time that has not started, up to the last one published (no cut-off,
no horizon), where applicants and mediators get the online one.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.validators import slug_re
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backoffice.views.people import office_person, office_required, person_appointment
from booking import rules, services
from booking.calendar import (
    build_week,
    day_slots,
    parse_date,
    reschedule_choice,
    sites_with_availability,
)
from booking.models import ACTIVE_STATUSES, Appointment, Channel, Pool, Procedure, Site, Slot
from booking.permissions import allowed_pools, managed_sites
from booking.selectors import availability
from core.ratelimit import ratelimited
from core.views import domain_errors

# The pools in the order a counter offers them: the seats kept for priority
# cases and for access points first, then the ones open to everyone.
POOL_ORDER = (Pool.PRIORITY, Pool.MEDIATION, Pool.PUBLIC)


def _with_query(url: str, **params) -> str:
    params = {key: value for key, value in params.items() if value is not None}
    return f"{url}?{urlencode(params)}" if params else url


def _procedure(slug: str) -> Procedure:
    if not slug_re.match(slug):
        raise Http404
    return get_object_or_404(Procedure.objects.select_related("horizon"), slug=slug, is_active=True)


def _my_sites(request: HttpRequest):
    return Site.objects.filter(managed_sites(request.user), is_active=True)


def _my_site(request: HttpRequest, slug: str) -> Site:
    """One of the agent's sites, else 404 (like a site that does not exist)."""
    if not slug_re.match(slug):
        raise Http404
    site = _my_sites(request).filter(slug=slug).first()
    if site is None:
        raise Http404
    return site


def _pools(request: HttpRequest) -> frozenset[str]:
    return allowed_pools(request.user)


def _counter(request: HttpRequest) -> bool:
    """Whether the counter's window applies (``booking.rules``): to agents and supervisors."""
    return rules.books_at_counter(request.user)


def _my_slot(request: HttpRequest, slot_id: int, **conditions) -> Slot | None:
    """The slot if it is at one of the agent's sites and they may see it
    (``booking.rules``), else None: it then answers as a missing one."""
    slot = (
        Slot.objects.select_related("site", "procedure__horizon")
        .filter(pk=slot_id, site__in=_my_sites(request), **conditions)
        .first()
    )
    if slot is None or rules.slot_hidden(
        slot,
        pools=_pools(request),
        privileged=rules.is_privileged(request.user),
        now=timezone.now(),
    ):
        return None
    return slot


def _by_pool(slots: list[Slot]) -> list[dict]:
    """The day's free times grouped by pool, priority first."""
    groups = [
        {"pool": pool, "label": pool.label, "slots": [s for s in slots if s.pool == pool]}
        for pool in POOL_ORDER
    ]
    return [group for group in groups if group["slots"]]


def _days_url(applicant_pk: int, procedure: Procedure, site: Site) -> str:
    return reverse("agent:book_days", args=[applicant_pk, procedure.slug, site.slug])


def _day_url(applicant_pk: int, slot: Slot) -> str:
    day = timezone.localdate(slot.starts_at).isoformat()
    return _with_query(
        _days_url(applicant_pk, slot.procedure, slot.site), **{"from": day}, date=day
    )


def _to_person(request: HttpRequest, pk: int, *args, **kwargs) -> str:
    return reverse("agent:person", args=[pk])


# --- Booking ------------------------------------------------------------------------------


@require_GET
@office_required
def book_procedures(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = office_person(request, pk)
    taken = set(
        Appointment.objects.filter(applicant=applicant, status__in=ACTIVE_STATUSES).values_list(
            "procedure_id", flat=True
        )
    )
    rows = [
        {"procedure": procedure, "taken": procedure.pk in taken}
        for procedure in Procedure.objects.filter(is_active=True).order_by("name")
    ]
    return render(
        request,
        "office/people/book_procedures.html",
        {"person": applicant, "rows": rows, "office_page": "search"},
    )


@require_GET
@office_required
def book_sites(request: HttpRequest, pk: int, procedure: str) -> HttpResponse:
    applicant = office_person(request, pk)
    procedure_obj = _procedure(procedure)
    mine = set(_my_sites(request).values_list("slug", flat=True))
    found = [
        site
        for site in sites_with_availability(
            procedure=procedure_obj,
            pools=_pools(request),
            now=timezone.now(),
            counter=_counter(request),
        )
        if site["site__slug"] in mine
    ]
    return render(
        request,
        "office/people/book_sites.html",
        {"person": applicant, "procedure": procedure_obj, "sites": found, "office_page": "search"},
    )


@require_GET
@office_required
@ratelimited("availability", methods=("GET",))
def book_days(request: HttpRequest, pk: int, procedure: str, site: str) -> HttpResponse:
    applicant = office_person(request, pk)
    procedure_obj = _procedure(procedure)
    site_obj = _my_site(request, site)
    now = timezone.now()
    pools = _pools(request)
    week = build_week(
        procedure=procedure_obj,
        site=site_obj,
        requested=parse_date(request.GET.get("from")),
        pools=pools,
        now=now,
        counter=_counter(request),
    )
    day = parse_date(request.GET.get("date"))
    slots = (
        day_slots(
            procedure=procedure_obj,
            site=site_obj,
            day=day,
            pools=pools,
            now=now,
            counter=_counter(request),
        )
        if day
        else []
    )
    base_url = _days_url(applicant.pk, procedure_obj, site_obj)
    return render(
        request,
        "office/people/book_days.html",
        {
            "person": applicant,
            "procedure": procedure_obj,
            "site": site_obj,
            "week": week,
            "week_url": base_url,
            "day_url": base_url,
            "day": day,
            "groups": _by_pool(slots),
            "office_page": "search",
        },
    )


def _confirm_fallback(request: HttpRequest, pk: int, slot_id: int) -> str:
    slot = _my_slot(request, slot_id)
    if slot is None:
        return reverse("agent:book_procedures", args=[pk])
    return _day_url(pk, slot)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=_confirm_fallback)
def book_confirm(request: HttpRequest, pk: int, slot_id: int) -> HttpResponse:
    applicant = office_person(request, pk)
    slot = _my_slot(request, slot_id)
    if slot is None:
        raise Http404
    if request.method == "POST":
        appointment = services.appointment_book(
            actor=request.user, applicant=applicant, slot_id=slot.pk, channel=Channel.AGENT
        )
        messages.success(
            request,
            _("The appointment is booked. Its reference is %(reference)s.")
            % {"reference": appointment.reference},
        )
        return redirect("agent:person", pk=applicant.pk)
    still_free = (
        availability(
            procedure=slot.procedure,
            site_ids=[slot.site_id],
            pools=_pools(request),
            now=timezone.now(),
            counter=_counter(request),
        )
        .filter(pk=slot.pk)
        .exists()
    )
    if not still_free:
        messages.error(request, _("This time is no longer available. Please choose another one."))
        return redirect(_day_url(applicant.pk, slot))
    return render(
        request,
        "office/people/book_confirm.html",
        {
            "person": applicant,
            "slot": slot,
            "procedure": slot.procedure,
            "site": slot.site,
            "document_accepted": rules.document_accepted(slot.procedure, applicant.document_type),
            "back_url": _day_url(applicant.pk, slot),
            "office_page": "search",
        },
    )


# --- Cancelling ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=_to_person)
def appointment_cancel(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    applicant = office_person(request, pk)
    appointment = person_appointment(request, applicant, reference)
    if request.method == "POST":
        services.appointment_cancel(actor=request.user, appointment=appointment)
        messages.success(
            request,
            _("Appointment %(reference)s is cancelled.") % {"reference": appointment.reference},
        )
        return redirect("agent:person", pk=applicant.pk)
    if not rules.changeable(appointment, timezone.now()):
        messages.info(request, _("This appointment can no longer be cancelled."))
        return redirect("agent:person", pk=applicant.pk)
    return render(
        request,
        "office/people/appointment_cancel.html",
        {
            "person": applicant,
            "appointment": appointment,
            "slot": appointment.slot,
            "site": appointment.slot.site,
            "procedure": appointment.procedure,
            "office_page": "search",
        },
    )


# --- Rescheduling -------------------------------------------------------------------------


def _reschedule_query(request: HttpRequest, mine: set[str]) -> dict:
    """The page's query, without a ``site`` that is not one of the agent's."""
    query = {key: request.GET.get(key) for key in ("site", "from", "date")}
    if query["site"] not in mine:
        query.pop("site")
    return {key: value for key, value in query.items() if value}


@require_GET
@office_required
@ratelimited("availability", methods=("GET",))
def appointment_reschedule(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    """Choose a new time for the same procedure: one of the agent's sites, a week, a day."""
    applicant = office_person(request, pk)
    appointment = person_appointment(request, applicant, reference)
    now = timezone.now()
    if not rules.changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("agent:person", pk=applicant.pk)
    mine = set(_my_sites(request).values_list("slug", flat=True))
    choice = reschedule_choice(
        appointment,
        pools=_pools(request),
        query=_reschedule_query(request, mine),
        now=now,
        counter=_counter(request),
    )
    base_url = reverse("agent:appointment_reschedule", args=[applicant.pk, appointment.reference])
    return render(
        request,
        "office/people/appointment_reschedule.html",
        {
            "person": applicant,
            "appointment": appointment,
            "procedure": appointment.procedure,
            "site": choice.site,
            "sites": [each for each in choice.sites if each["site__slug"] in mine],
            "week": choice.week,
            "week_url": _with_query(base_url, site=choice.site.slug),
            "day_url": _with_query(base_url, site=choice.site.slug),
            "base_url": base_url,
            "day": choice.day,
            "groups": _by_pool(choice.slots),
            "office_page": "search",
        },
    )


def _reschedule_fallback(request: HttpRequest, pk: int, reference: str, slot_id: int) -> str:
    base_url = reverse("agent:appointment_reschedule", args=[pk, reference.upper()[:16]])
    slot = _my_slot(request, slot_id)
    if slot is None:
        return base_url
    day = timezone.localdate(slot.starts_at).isoformat()
    return _with_query(base_url, site=slot.site.slug, **{"from": day}, date=day)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=_reschedule_fallback)
def appointment_reschedule_confirm(
    request: HttpRequest, pk: int, reference: str, slot_id: int
) -> HttpResponse:
    applicant = office_person(request, pk)
    appointment = person_appointment(request, applicant, reference)
    new_slot = _my_slot(request, slot_id, procedure_id=appointment.procedure_id)
    if new_slot is None:
        raise Http404
    if request.method == "POST":
        moved = services.appointment_reschedule(
            actor=request.user, appointment=appointment, new_slot_id=new_slot.pk
        )
        messages.success(
            request,
            _("The appointment is moved. Its reference stays %(reference)s.")
            % {"reference": moved.reference},
        )
        return redirect("agent:person", pk=applicant.pk)
    now = timezone.now()
    if not rules.changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("agent:person", pk=applicant.pk)
    back_url = _reschedule_fallback(request, applicant.pk, appointment.reference, slot_id)
    still_free = (
        availability(
            procedure=appointment.procedure,
            site_ids=[new_slot.site_id],
            pools=_pools(request),
            now=now,
            counter=_counter(request),
        )
        .exclude(pk=appointment.slot_id)
        .filter(pk=new_slot.pk)
        .exists()
    )
    if not still_free:
        messages.error(request, _("This time is no longer available. Please choose another one."))
        return redirect(back_url)
    return render(
        request,
        "office/people/appointment_reschedule_confirm.html",
        {
            "person": applicant,
            "appointment": appointment,
            "old_slot": appointment.slot,
            "new_slot": new_slot,
            "back_url": back_url,
            "office_page": "search",
        },
    )
