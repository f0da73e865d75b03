"""Booking for a person from the console: procedure → place (any) → day and
time (the mediation pool's times first, then the public ones) → confirm; and
cancelling or moving one of their appointments.

Everything goes through the ordinary booking services with the mediator as the
actor (channel ``mediation``): the same rules as online (one active appointment
per person and procedure, the identity copied), plus mediation's own, answered
inside the booking's transaction (a valid consent, the daily caps). A refusal
is a ``DomainError`` shown as a message (``core.views.domain_errors``); the
person's consents are shown on every page, so that the mediator sees what
they may do before they try.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.validators import slug_re
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from booking import rules, services
from booking.calendar import (
    build_week,
    day_slots,
    parse_date,
    reschedule_choice,
    sites_with_availability,
)
from booking.models import (
    ACTIVE_STATUSES,
    Applicant,
    Appointment,
    Channel,
    Pool,
    Procedure,
    Site,
    Slot,
)
from booking.permissions import allowed_pools
from booking.selectors import availability
from booking.signals import availability_found_nothing
from core.ratelimit import ratelimited
from core.views import domain_errors
from mediation.views.common import (
    console_person,
    mediator_required,
    person_appointment,
    with_query,
)
from mediation.views.console import person_context


def _procedure(slug: str) -> Procedure:
    if not slug_re.match(slug):
        raise Http404
    return get_object_or_404(Procedure.objects.select_related("horizon"), slug=slug, is_active=True)


def _site(slug: str) -> Site:
    if not slug_re.match(slug):
        raise Http404
    return get_object_or_404(Site, slug=slug, is_active=True)


def _pools(request: HttpRequest) -> frozenset[str]:
    return allowed_pools(request.user)


def _visible_slot(request: HttpRequest, slot_id: int, **conditions) -> Slot | None:
    """The slot if the mediator may book it (``booking.rules``), else None: a
    slot not yet visible or reserved for others answers as a missing one."""
    slot = (
        Slot.objects.select_related("site", "procedure__horizon")
        .filter(pk=slot_id, **conditions)
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
    """The day's free times, the mediation pool's first: the seats kept for
    access points go to the people who need them before the public ones."""
    groups = [
        {"pool": Pool.MEDIATION, "slots": [s for s in slots if s.pool == Pool.MEDIATION]},
        {"pool": Pool.PUBLIC, "slots": [s for s in slots if s.pool == Pool.PUBLIC]},
        {
            "pool": "other",
            "slots": [s for s in slots if s.pool not in (Pool.MEDIATION, Pool.PUBLIC)],
        },
    ]
    return [group for group in groups if group["slots"]]


def _days_url(applicant_pk: int, procedure: Procedure, site: Site) -> str:
    return reverse("mediation:book_days", args=[applicant_pk, procedure.slug, site.slug])


def _day_url(applicant_pk: int, slot: Slot) -> str:
    day = timezone.localdate(slot.starts_at).isoformat()
    return with_query(_days_url(applicant_pk, slot.procedure, slot.site), **{"from": day}, date=day)


# --- Booking ------------------------------------------------------------------------------


@require_GET
@mediator_required
def book_procedures(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = console_person(request, pk)
    active = {
        appointment.procedure_id: appointment
        for appointment in Appointment.objects.filter(
            applicant=applicant, status__in=ACTIVE_STATUSES
        ).only("procedure_id", "reference")
    }
    rows = [
        {"procedure": procedure, "appointment": active.get(procedure.pk)}
        for procedure in Procedure.objects.filter(is_active=True)
    ]
    return render(
        request,
        "mediation/console/book_procedures.html",
        {**person_context(request, applicant), "rows": rows},
    )


@require_GET
@mediator_required
def book_sites(request: HttpRequest, pk: int, procedure: str) -> HttpResponse:
    applicant = console_person(request, pk)
    procedure_obj = _procedure(procedure)
    found = sites_with_availability(
        procedure=procedure_obj, pools=_pools(request), now=timezone.now()
    )
    if not found:
        _found_nothing(request, applicant, procedure_obj, ())
    return render(
        request,
        "mediation/console/book_sites.html",
        {**person_context(request, applicant), "procedure": procedure_obj, "sites": found},
    )


@require_GET
@mediator_required
@ratelimited("availability", methods=("GET",))
def book_days(request: HttpRequest, pk: int, procedure: str, site: str) -> HttpResponse:
    applicant = console_person(request, pk)
    procedure_obj = _procedure(procedure)
    site_obj = _site(site)
    now = timezone.now()
    pools = _pools(request)
    week = build_week(
        procedure=procedure_obj,
        site=site_obj,
        requested=parse_date(request.GET.get("from")),
        pools=pools,
        now=now,
    )
    day = parse_date(request.GET.get("date"))
    slots = (
        day_slots(procedure=procedure_obj, site=site_obj, day=day, pools=pools, now=now)
        if day
        else []
    )
    if week.nothing_at_site or (day and not slots):
        _found_nothing(request, applicant, procedure_obj, (site_obj.slug,))
    base_url = _days_url(applicant.pk, procedure_obj, site_obj)
    return render(
        request,
        "mediation/console/book_days.html",
        {
            **person_context(request, applicant),
            "procedure": procedure_obj,
            "site": site_obj,
            "week": week,
            "week_url": base_url,
            "day_url": base_url,
            "day": day,
            "groups": _by_pool(slots),
            "slot_url": "mediation:book_confirm",
        },
    )


def _found_nothing(
    request: HttpRequest, applicant: Applicant, procedure: Procedure, sites: tuple[str, ...]
) -> None:
    """A search for the person found nothing: their record of attempts counts it
    (``booking.signals.availability_found_nothing``)."""
    availability_found_nothing.send(
        sender=Procedure,
        user=request.user,
        applicant=applicant,
        procedure=procedure.slug,
        sites=sites,
        now=timezone.now(),
    )


def _confirm_fallback(request: HttpRequest, pk: int, slot_id: int) -> str:
    slot = _visible_slot(request, slot_id)
    if slot is None:
        return reverse("mediation:book_procedures", args=[pk])
    return _day_url(pk, slot)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=_confirm_fallback)
def book_confirm(request: HttpRequest, pk: int, slot_id: int) -> HttpResponse:
    applicant = console_person(request, pk)
    slot = _visible_slot(request, slot_id)
    if slot is None:
        raise Http404
    if request.method == "POST":
        appointment = services.appointment_book(
            actor=request.user, applicant=applicant, slot_id=slot.pk, channel=Channel.MEDIATION
        )
        messages.success(
            request,
            _("The appointment is booked. Its reference is %(reference)s.")
            % {"reference": appointment.reference},
        )
        return redirect("mediation:person", pk=applicant.pk)
    still_free = (
        availability(
            procedure=slot.procedure,
            site_ids=[slot.site_id],
            pools=_pools(request),
            now=timezone.now(),
        )
        .filter(pk=slot.pk)
        .exists()
    )
    if not still_free:
        messages.error(request, _("This time is no longer available. Please choose another one."))
        return redirect(_day_url(applicant.pk, slot))
    return render(
        request,
        "mediation/console/book_confirm.html",
        {
            **person_context(request, applicant),
            "slot": slot,
            "procedure": slot.procedure,
            "site": slot.site,
            "document_accepted": rules.document_accepted(slot.procedure, applicant.document_type),
            "back_url": _day_url(applicant.pk, slot),
        },
    )


# --- Cancelling ---------------------------------------------------------------------------


def _to_person(request: HttpRequest, pk: int, *args, **kwargs) -> str:
    return reverse("mediation:person", args=[pk])


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=_to_person)
def appointment_cancel(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    applicant = console_person(request, pk)
    appointment = person_appointment(request, applicant, reference)
    if request.method == "POST":
        services.appointment_cancel(actor=request.user, appointment=appointment)
        messages.success(
            request,
            _("Appointment %(reference)s is cancelled.") % {"reference": appointment.reference},
        )
        return redirect("mediation:person", pk=applicant.pk)
    if not rules.changeable(appointment, timezone.now()):
        messages.info(request, _("This appointment can no longer be cancelled."))
        return redirect("mediation:person", pk=applicant.pk)
    return render(
        request,
        "mediation/console/appointment_cancel.html",
        {
            **person_context(request, applicant),
            "appointment": appointment,
            "slot": appointment.slot,
            "site": appointment.slot.site,
            "procedure": appointment.procedure,
        },
    )


# --- Rescheduling -------------------------------------------------------------------------


@require_GET
@mediator_required
@ratelimited("availability", methods=("GET",))
def appointment_reschedule(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    """Choose a new time for the same procedure: a place, a week, a day, a time."""
    applicant = console_person(request, pk)
    appointment = person_appointment(request, applicant, reference)
    now = timezone.now()
    if not rules.changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("mediation:person", pk=applicant.pk)
    choice = reschedule_choice(appointment, pools=_pools(request), query=request.GET, now=now)
    base_url = reverse(
        "mediation:appointment_reschedule", args=[applicant.pk, appointment.reference]
    )
    return render(
        request,
        "mediation/console/appointment_reschedule.html",
        {
            **person_context(request, applicant),
            "appointment": appointment,
            "procedure": appointment.procedure,
            "site": choice.site,
            "sites": choice.sites,
            "week": choice.week,
            "week_url": with_query(base_url, site=choice.site.slug),
            "day_url": with_query(base_url, site=choice.site.slug),
            "base_url": base_url,
            "day": choice.day,
            "groups": _by_pool(choice.slots),
        },
    )


def _reschedule_fallback(request: HttpRequest, pk: int, reference: str, slot_id: int) -> str:
    base_url = reverse("mediation:appointment_reschedule", args=[pk, reference.upper()[:16]])
    slot = _visible_slot(request, slot_id)
    if slot is None:
        return base_url
    day = timezone.localdate(slot.starts_at).isoformat()
    return with_query(base_url, site=slot.site.slug, **{"from": day}, date=day)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=_reschedule_fallback)
def appointment_reschedule_confirm(
    request: HttpRequest, pk: int, reference: str, slot_id: int
) -> HttpResponse:
    applicant = console_person(request, pk)
    appointment = person_appointment(request, applicant, reference)
    if request.method == "POST":
        moved = services.appointment_reschedule(
            actor=request.user, appointment=appointment, new_slot_id=slot_id
        )
        messages.success(
            request,
            _("The appointment is moved. Its reference stays %(reference)s.")
            % {"reference": moved.reference},
        )
        return redirect("mediation:person", pk=applicant.pk)
    now = timezone.now()
    if not rules.changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("mediation:person", pk=applicant.pk)
    new_slot = _visible_slot(request, slot_id, procedure_id=appointment.procedure_id)
    if new_slot is None:
        raise Http404
    back_url = _reschedule_fallback(request, applicant.pk, appointment.reference, slot_id)
    still_free = (
        availability(
            procedure=appointment.procedure,
            site_ids=[new_slot.site_id],
            pools=_pools(request),
            now=now,
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
        "mediation/console/appointment_reschedule_confirm.html",
        {
            **person_context(request, applicant),
            "appointment": appointment,
            "old_slot": appointment.slot,
            "new_slot": new_slot,
            "back_url": back_url,
        },
    )
