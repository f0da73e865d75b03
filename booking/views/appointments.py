"""The applicant's appointments: see, download, cancel and reschedule."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from booking import rules, services
from booking.calendar import reschedule_choice
from booking.ics import appointment_ics as render_ics
from booking.models import (
    Slot,
)
from booking.selectors import appointments_for, availability, pools_for, priority_rights_of
from booking.views.common import (
    applicant_of,
    applicant_required,
    my_appointment,
    visible_slot,
    visible_slot_or_none,
    with_query,
)
from core.ratelimit import ratelimited
from core.views import domain_errors


@require_GET
@applicant_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    upcoming, other = [], []
    for appointment in appointments_for(request.user).select_related("slot__closure"):
        if appointment.is_active and appointment.slot.ends_at > now:
            upcoming.append(appointment)
        else:
            other.append(appointment)
    upcoming.reverse()  # soonest first
    return render(
        request,
        "booking/my_appointments.html",
        {
            "upcoming": upcoming,
            "other": other,
            "has_identity": applicant_of(request.user) is not None,
            "priority_rights": list(priority_rights_of(request.user, now)),
        },
    )


@require_GET
@applicant_required
def appointment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = my_appointment(request, reference)
    return render(
        request,
        "booking/appointment_detail.html",
        {
            "appointment": appointment,
            "slot": appointment.slot,
            "site": appointment.slot.site,
            "procedure": appointment.procedure,
            "changeable": rules.changeable(appointment, timezone.now()),
        },
    )


@require_GET
@applicant_required
def appointment_ics(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = my_appointment(request, reference)
    response = HttpResponse(render_ics(appointment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="rendez-vous-{appointment.reference}.ics"'
    )
    return response


def _detail_url(request: HttpRequest, reference: str, *args, **kwargs) -> str:
    return reverse("booking:appointment_detail", args=[reference.upper()[:16]])


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")
@domain_errors(fallback=_detail_url)
def appointment_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = my_appointment(request, reference)
    if request.method == "POST":
        services.appointment_cancel(actor=request.user, appointment=appointment)
        messages.success(
            request,
            _("Appointment %(reference)s is cancelled.") % {"reference": appointment.reference},
        )
        return redirect("booking:my_appointments")
    if not rules.changeable(appointment, timezone.now()):
        messages.info(request, _("This appointment can no longer be cancelled."))
        return redirect("booking:appointment_detail", reference=appointment.reference)
    return render(
        request,
        "booking/appointment_cancel.html",
        {"appointment": appointment, "slot": appointment.slot, "site": appointment.slot.site},
    )


@require_GET
@applicant_required
def appointment_reschedule(request: HttpRequest, reference: str) -> HttpResponse:
    """Choose a new time for the same procedure: a site, a week, a day, a time."""
    appointment = my_appointment(request, reference)
    now = timezone.now()
    if not rules.changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("booking:appointment_detail", reference=appointment.reference)
    choice = reschedule_choice(
        appointment, pools=pools_for(request.user), query=request.GET, now=now
    )
    base_url = reverse("booking:appointment_reschedule", args=[appointment.reference])
    return render(
        request,
        "booking/appointment_reschedule.html",
        {
            "appointment": appointment,
            "procedure": appointment.procedure,
            "site": choice.site,
            "sites": choice.sites,
            "week": choice.week,
            "week_url": with_query(base_url, site=choice.site.slug),
            "day_url": with_query(base_url, site=choice.site.slug),
            "base_url": base_url,
            "day": choice.day,
            "slots": choice.slots,
        },
    )


def _reschedule_fallback(request: HttpRequest, reference: str, slot_id: int) -> str:
    """Back to the new slot's day if the user may see that slot, else to the
    reschedule page, as for a slot that does not exist (never to the day of a
    slot they may not see)."""
    appointment = appointments_for(request.user).filter(reference=reference.upper()[:16]).first()
    slot = None
    if appointment is not None:
        slot = visible_slot_or_none(
            request, slot_id, now=timezone.now(), procedure_id=appointment.procedure_id
        )
    return _reschedule_back_url(reference, slot)


def _reschedule_back_url(reference: str, slot: Slot | None) -> str:
    base_url = reverse("booking:appointment_reschedule", args=[reference.upper()[:16]])
    if slot is None:
        return base_url
    day = timezone.localdate(slot.starts_at).isoformat()
    return with_query(base_url, site=slot.site.slug, **{"from": day}, date=day)


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")
@domain_errors(fallback=_reschedule_fallback)
def appointment_reschedule_confirm(
    request: HttpRequest, reference: str, slot_id: int
) -> HttpResponse:
    appointment = my_appointment(request, reference)
    if request.method == "POST":
        # A slot the user may not see is refused by the service as a missing
        # one (``SlotNotFound``), and the fallback does not tell them apart.
        moved = services.appointment_reschedule(
            actor=request.user, appointment=appointment, new_slot_id=slot_id
        )
        messages.success(
            request,
            _("Your appointment is moved. Its reference stays %(reference)s.")
            % {"reference": moved.reference},
        )
        return redirect("booking:appointment_detail", reference=moved.reference)
    now = timezone.now()
    if not rules.changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("booking:appointment_detail", reference=appointment.reference)
    new_slot = visible_slot(request, slot_id, now=now, procedure_id=appointment.procedure_id)
    back_url = _reschedule_back_url(appointment.reference, new_slot)
    still_free = (
        availability(
            procedure=appointment.procedure,
            site_ids=[new_slot.site_id],
            pools=pools_for(request.user),
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
        "booking/appointment_reschedule_confirm.html",
        {
            "appointment": appointment,
            "old_slot": appointment.slot,
            "new_slot": new_slot,
            "back_url": back_url,
        },
    )
