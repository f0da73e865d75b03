"""The booking path: procedure → site → week → day → time → confirm."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import is_verified
from booking import errors, rules, services
from booking.calendar import build_week, day_slots, parse_date, sites_with_availability
from booking.models import (
    AllocationMode,
    Channel,
    Procedure,
    Site,
    Slot,
)
from booking.selectors import active_by_procedure, availability, pools_for
from booking.signals import availability_found_nothing
from booking.views.common import (
    applicant_of,
    applicant_required,
    bookable_procedure,
    times_url_for_slot,
    visible_slot,
    with_query,
)
from core.antibot import antibot_check
from core.ratelimit import ratelimited
from core.views import domain_error_message, domain_errors

# --- Booking path ----------------------------------------------------------------------


@require_GET
@applicant_required
def procedures(request: HttpRequest) -> HttpResponse:
    applicant = applicant_of(request.user)
    active = {} if applicant is None else active_by_procedure(applicant)
    rows = [
        {"procedure": procedure, "appointment": active.get(procedure.pk)}
        for procedure in Procedure.objects.filter(is_active=True)
    ]
    return render(request, "booking/procedures.html", {"rows": rows})


@require_GET
@applicant_required
def sites(request: HttpRequest, procedure: str) -> HttpResponse:
    procedure_obj = bookable_procedure(procedure)
    found = sites_with_availability(
        procedure=procedure_obj,
        pools=pools_for(request.user, procedure=procedure_obj),
        now=timezone.now(),
    )
    list_sites = _list_sites(procedure_obj)
    if list_sites:
        # Given out by its waiting list (there, no calendar can ever show those
        # seats): a person with an appointment for it already is sent to it.
        applicant = applicant_of(request.user)
        appointment = (
            None if applicant is None else active_by_procedure(applicant).get(procedure_obj.pk)
        )
        if appointment is not None:
            messages.info(
                request, _("You already have an appointment for this procedure: here it is.")
            )
            return redirect("booking:appointment_detail", reference=appointment.reference)
    if not found and not list_sites:
        _found_nothing(request, procedure_obj, ())
        return render(request, "booking/nothing_free.html", {"procedure": procedure_obj})
    return render(
        request,
        "booking/sites.html",
        {"procedure": procedure_obj, "sites": found, "list_sites": list_sites},
    )


def _list_sites(procedure: Procedure) -> list[Site]:
    """The active sites whose public capacity of ``procedure`` its waiting list
    gives out (``AllocationMode.QUEUE``; ``allocation.services.queue_sites``
    from below): two queries, none more when the procedure has no policy."""
    modes = rules.allocation_modes([procedure.pk])
    if AllocationMode.QUEUE not in modes.values():
        return []
    return [
        site
        for site in Site.objects.filter(is_active=True).order_by("name")
        if rules.allocation_mode(procedure.pk, site.pk, modes=modes) == AllocationMode.QUEUE
    ]


@require_GET
@applicant_required
@ratelimited("availability", methods=("GET",))
def days(request: HttpRequest, procedure: str, site: str) -> HttpResponse:
    procedure_obj = bookable_procedure(procedure)
    site_obj = get_object_or_404(Site, slug=site, is_active=True)
    now = timezone.now()
    pools = pools_for(request.user, procedure=procedure_obj, now=now)
    week = build_week(
        procedure=procedure_obj,
        site=site_obj,
        requested=parse_date(request.GET.get("from")),
        pools=pools,
        now=now,
    )
    other_sites = []
    if week.nothing_at_site:
        _found_nothing(request, procedure_obj, (site_obj.slug,))
        other_sites = sites_with_availability(
            procedure=procedure_obj, pools=pools, now=now, exclude_site_id=site_obj.pk
        )
    days_url = reverse("booking:days", args=[procedure_obj.slug, site_obj.slug])
    times_url = reverse("booking:times", args=[procedure_obj.slug, site_obj.slug])
    return render(
        request,
        "booking/days.html",
        {
            "procedure": procedure_obj,
            "site": site_obj,
            "week": week,
            "week_url": days_url,
            "day_url": times_url,
            "other_sites": other_sites,
        },
    )


@require_GET
@applicant_required
@ratelimited("availability", methods=("GET",))
def times(request: HttpRequest, procedure: str, site: str) -> HttpResponse:
    procedure_obj = bookable_procedure(procedure)
    site_obj = get_object_or_404(Site, slug=site, is_active=True)
    day = parse_date(request.GET.get("date"))
    days_url = reverse("booking:days", args=[procedure_obj.slug, site_obj.slug])
    if day is None:
        return redirect(days_url)
    slots = day_slots(
        procedure=procedure_obj,
        site=site_obj,
        day=day,
        pools=pools_for(request.user, procedure=procedure_obj),
        now=timezone.now(),
    )
    if not slots:
        _found_nothing(request, procedure_obj, (site_obj.slug,))
    return render(
        request,
        "booking/times.html",
        {
            "procedure": procedure_obj,
            "site": site_obj,
            "day": day,
            "slots": slots,
            "back_url": with_query(days_url, **{"from": day.isoformat()}),
        },
    )


def _found_nothing(request: HttpRequest, procedure: Procedure, sites: tuple[str, ...]) -> None:
    """Tell the record of attempts (``booking.signals.availability_found_nothing``)."""
    availability_found_nothing.send(
        sender=Procedure,
        user=request.user,
        procedure=procedure.slug,
        sites=sites,
        now=timezone.now(),
    )


def _confirm_fallback(request: HttpRequest, slot_id: int) -> str:
    slot = Slot.objects.select_related("procedure", "site").filter(pk=slot_id).first()
    if slot is None:
        return reverse("booking:procedures")
    return times_url_for_slot(slot)


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")
@domain_errors(fallback=_confirm_fallback)
def confirm(request: HttpRequest, slot_id: int) -> HttpResponse:
    now = timezone.now()
    slot = visible_slot(request, slot_id, now=now)
    procedure = slot.procedure
    pools = pools_for(request.user, procedure=procedure, now=now)
    if not (procedure.is_active and procedure.self_booking):
        messages.error(request, _("This procedure cannot be booked online by applicants."))
        return redirect("booking:procedures")
    if not is_verified(request.user):
        messages.info(request, errors.AccountNotVerified.default_message)
        return redirect("accounts:verify")
    applicant = applicant_of(request.user)
    if applicant is None:
        messages.info(request, _("Enter your identity first: the appointment will be in its name."))
        return redirect(with_query(reverse("booking:identity"), next=request.get_full_path()))
    if request.method == "POST":
        # The proof-of-work (or the no-script wait): refused, the same page again
        # with the reason, nothing booked.
        if (refused := antibot_check(request)) is None:
            appointment = services.appointment_book(
                actor=request.user, applicant=applicant, slot_id=slot.pk, channel=Channel.WEB
            )
            messages.success(request, _("Your appointment is booked."))
            return redirect("booking:appointment_detail", reference=appointment.reference)
        messages.error(request, domain_error_message(refused))
    # A person under a block (repeated no-shows) is told why and until when
    # before confirming; the booking itself refuses too (``booking.rules``).
    refusal = rules.block_refusal(applicant_id=applicant.pk, procedure_id=procedure.pk, now=now)
    still_free = (
        availability(procedure=procedure, site_ids=[slot.site_id], pools=pools, now=now)
        .filter(pk=slot.pk)
        .exists()
    )
    if not still_free:
        messages.error(request, _("This time is no longer available. Please choose another one."))
        return redirect(times_url_for_slot(slot))
    return render(
        request,
        "booking/confirm.html",
        {
            "slot": slot,
            "procedure": procedure,
            "site": slot.site,
            "applicant": applicant,
            "document_accepted": rules.document_accepted(procedure, applicant.document_type),
            "blocked": refusal.detail if refusal is not None else "",
            "back_url": times_url_for_slot(slot),
        },
    )
