"""The applicant's pages: book, see, cancel and reschedule one's appointments.

Server-rendered, no JavaScript needed: plain links for every choice and a
POST form (with CSRF) for every change. Changes go through
``booking.services``; a refusal is a ``DomainError`` that ``core.views.
domain_errors`` turns into a message. Dates in the query string are read
leniently: a bad one shows the default week, never an error.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import slug_re
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import views as account_views
from accounts.models import Role
from accounts.permissions import is_verified
from booking import errors, rules, services
from booking.calendar import build_week, day_slots, parse_date, sites_with_availability
from booking.errors import IdentityTaken, InvalidIdentity
from booking.forms import IdentityForm
from booking.ics import appointment_ics as render_ics
from booking.models import (
    ACTIVE_STATUSES,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Procedure,
    Site,
    Slot,
    reference_parse,
)
from booking.selectors import appointments_for, availability, pools_for
from core.ratelimit import ratelimited
from core.views import domain_errors

# --- Access ------------------------------------------------------------------------


def applicant_required(view):
    """Logged in, as an applicant. Staff get a page that says their screens are elsewhere."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role != Role.APPLICANT:
            return render(request, "booking/staff_only.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _applicant_of(user) -> Applicant | None:
    try:
        return user.applicant
    except ObjectDoesNotExist:
        return None


def _with_query(url: str, **params) -> str:
    params = {key: value for key, value in params.items() if value is not None}
    return f"{url}?{urlencode(params)}" if params else url


def _bookable_procedure(slug: str) -> Procedure:
    return get_object_or_404(
        Procedure.objects.select_related("horizon"), slug=slug, is_active=True, self_booking=True
    )


# --- Booking path ----------------------------------------------------------------------


@require_GET
@applicant_required
def procedures(request: HttpRequest) -> HttpResponse:
    applicant = _applicant_of(request.user)
    active = {}
    if applicant is not None:
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
    return render(request, "booking/procedures.html", {"rows": rows})


@require_GET
@applicant_required
def sites(request: HttpRequest, procedure: str) -> HttpResponse:
    procedure_obj = _bookable_procedure(procedure)
    found = sites_with_availability(
        procedure=procedure_obj, pools=pools_for(request.user), now=timezone.now()
    )
    if not found:
        return render(request, "booking/nothing_free.html", {"procedure": procedure_obj})
    return render(request, "booking/sites.html", {"procedure": procedure_obj, "sites": found})


@require_GET
@applicant_required
@ratelimited("availability", methods=("GET",))
def days(request: HttpRequest, procedure: str, site: str) -> HttpResponse:
    procedure_obj = _bookable_procedure(procedure)
    site_obj = get_object_or_404(Site, slug=site, is_active=True)
    now = timezone.now()
    pools = pools_for(request.user)
    week = build_week(
        procedure=procedure_obj,
        site=site_obj,
        requested=parse_date(request.GET.get("from")),
        pools=pools,
        now=now,
    )
    other_sites = []
    if week.nothing_at_site:
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
    procedure_obj = _bookable_procedure(procedure)
    site_obj = get_object_or_404(Site, slug=site, is_active=True)
    day = parse_date(request.GET.get("date"))
    days_url = reverse("booking:days", args=[procedure_obj.slug, site_obj.slug])
    if day is None:
        return redirect(days_url)
    slots = day_slots(
        procedure=procedure_obj,
        site=site_obj,
        day=day,
        pools=pools_for(request.user),
        now=timezone.now(),
    )
    return render(
        request,
        "booking/times.html",
        {
            "procedure": procedure_obj,
            "site": site_obj,
            "day": day,
            "slots": slots,
            "back_url": _with_query(days_url, **{"from": day.isoformat()}),
        },
    )


def _visible_slot(request: HttpRequest, slot_id: int, *, now: datetime, **conditions) -> Slot:
    """The slot with its site and procedure if the user may see it (``booking.rules``),
    else the 404 of a slot that does not exist: capacity not yet visible,
    beyond the horizon or reserved for others is indistinguishable from none."""
    slot = _visible_slot_or_none(request, slot_id, now=now, **conditions)
    if slot is None:
        raise Http404
    return slot


def _visible_slot_or_none(
    request: HttpRequest, slot_id: int, *, now: datetime, **conditions
) -> Slot | None:
    slot = (
        Slot.objects.select_related("site", "procedure__horizon")
        .filter(pk=slot_id, **conditions)
        .first()
    )
    if slot is None or rules.slot_hidden(
        pool=slot.pool,
        published_at=slot.published_at,
        starts_at=slot.starts_at,
        horizon_end=rules.horizon_end(slot.procedure, now),
        pools=pools_for(request.user),
        privileged=False,  # these pages are the applicants'
        now=now,
    ):
        return None
    return slot


def _times_url_for_slot(slot: Slot) -> str:
    return _with_query(
        reverse("booking:times", args=[slot.procedure.slug, slot.site.slug]),
        date=timezone.localdate(slot.starts_at).isoformat(),
    )


def _confirm_fallback(request: HttpRequest, slot_id: int) -> str:
    slot = Slot.objects.select_related("procedure", "site").filter(pk=slot_id).first()
    if slot is None:
        return reverse("booking:procedures")
    return _times_url_for_slot(slot)


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")
@domain_errors(fallback=_confirm_fallback)
def confirm(request: HttpRequest, slot_id: int) -> HttpResponse:
    now = timezone.now()
    pools = pools_for(request.user)
    slot = _visible_slot(request, slot_id, now=now)
    procedure = slot.procedure
    if not (procedure.is_active and procedure.self_booking):
        messages.error(request, _("This procedure cannot be booked online by applicants."))
        return redirect("booking:procedures")
    if not is_verified(request.user):
        messages.info(request, errors.AccountNotVerified.default_message)
        return redirect("accounts:verify")
    applicant = _applicant_of(request.user)
    if applicant is None:
        messages.info(request, _("Enter your identity first: the appointment will be in its name."))
        return redirect(_with_query(reverse("booking:identity"), next=request.get_full_path()))
    if request.method == "POST":
        appointment = services.appointment_book(
            actor=request.user, applicant=applicant, slot_id=slot.pk, channel=Channel.WEB
        )
        messages.success(request, _("Your appointment is booked."))
        return redirect("booking:appointment_detail", reference=appointment.reference)
    still_free = (
        availability(procedure=procedure, site_ids=[slot.site_id], pools=pools, now=now)
        .filter(pk=slot.pk)
        .exists()
    )
    if not still_free:
        messages.error(request, _("This time is no longer available. Please choose another one."))
        return redirect(_times_url_for_slot(slot))
    return render(
        request,
        "booking/confirm.html",
        {
            "slot": slot,
            "procedure": procedure,
            "site": slot.site,
            "applicant": applicant,
            "document_accepted": procedure.accepts(applicant.document_type),
            "back_url": _times_url_for_slot(slot),
        },
    )


# --- Identity ----------------------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() takes anything else for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
@applicant_required
def identity(request: HttpRequest) -> HttpResponse:
    applicant = _applicant_of(request.user)
    next_url = _safe_next(request, reverse("booking:procedures"))
    if applicant is not None:
        # Correctable until an appointment uses it, read-only after: accounts decides.
        return account_views.identity_on_file(request, applicant, next_url)
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.applicant_create(
                actor=request.user,
                user=request.user,
                surname=data["surname"],
                given_names=data["given_names"],
                birth_date=data["birth_date"],
                nationality=data["nationality"],
                document_type=data["document_type"],
                document_number=data["document_number"],
                preferred_language=(get_language() or "fr")[:8],
            )
        except (InvalidIdentity, IdentityTaken) as exc:
            account_views.identity_refused(request, form, exc)
        else:
            messages.success(request, _("Your identity is recorded."))
            return redirect(next_url)
    return render(request, "booking/identity_form.html", {"form": form, "next": next_url})


# --- My appointments ----------------------------------------------------------------------


def _my_appointment(request: HttpRequest, reference: str) -> Appointment:
    """One of the user's appointments; anyone else's is a 404, like one that does not exist."""
    parsed = reference_parse(reference)
    if parsed is None:
        raise Http404
    return get_object_or_404(appointments_for(request.user), reference=parsed)


def _changeable(appointment: Appointment, now: datetime) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and appointment.slot.starts_at > now


@require_GET
@applicant_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    upcoming, other = [], []
    for appointment in appointments_for(request.user):
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
            "has_identity": _applicant_of(request.user) is not None,
        },
    )


@require_GET
@applicant_required
def appointment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = _my_appointment(request, reference)
    return render(
        request,
        "booking/appointment_detail.html",
        {
            "appointment": appointment,
            "slot": appointment.slot,
            "site": appointment.slot.site,
            "procedure": appointment.procedure,
            "changeable": _changeable(appointment, timezone.now()),
        },
    )


@require_GET
@applicant_required
def appointment_ics(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = _my_appointment(request, reference)
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
    appointment = _my_appointment(request, reference)
    if request.method == "POST":
        services.appointment_cancel(actor=request.user, appointment=appointment)
        messages.success(
            request,
            _("Appointment %(reference)s is cancelled.") % {"reference": appointment.reference},
        )
        return redirect("booking:my_appointments")
    if not _changeable(appointment, timezone.now()):
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
    appointment = _my_appointment(request, reference)
    now = timezone.now()
    if not _changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("booking:appointment_detail", reference=appointment.reference)
    procedure = appointment.procedure
    pools = pools_for(request.user)
    site_slug = request.GET.get("site")
    site = appointment.slot.site
    if site_slug and site_slug != site.slug and slug_re.match(site_slug):
        site = Site.objects.filter(slug=site_slug[:50], is_active=True).first() or site
    exclude = appointment.slot_id
    week = build_week(
        procedure=procedure,
        site=site,
        requested=parse_date(request.GET.get("from")),
        pools=pools,
        now=now,
        exclude_slot_id=exclude,
    )
    day = parse_date(request.GET.get("date"))
    slots = (
        day_slots(
            procedure=procedure, site=site, day=day, pools=pools, now=now, exclude_slot_id=exclude
        )
        if day
        else []
    )
    base_url = reverse("booking:appointment_reschedule", args=[appointment.reference])
    return render(
        request,
        "booking/appointment_reschedule.html",
        {
            "appointment": appointment,
            "procedure": procedure,
            "site": site,
            "sites": sites_with_availability(procedure=procedure, pools=pools, now=now),
            "week": week,
            "week_url": _with_query(base_url, site=site.slug),
            "day_url": _with_query(base_url, site=site.slug),
            "base_url": base_url,
            "day": day,
            "slots": slots,
        },
    )


def _reschedule_fallback(request: HttpRequest, reference: str, slot_id: int) -> str:
    """Back to the new slot's day if the user may see that slot, else to the
    reschedule page, as for a slot that does not exist (never to the day of a
    slot they may not see)."""
    appointment = appointments_for(request.user).filter(reference=reference.upper()[:16]).first()
    slot = None
    if appointment is not None:
        slot = _visible_slot_or_none(
            request, slot_id, now=timezone.now(), procedure_id=appointment.procedure_id
        )
    return _reschedule_back_url(reference, slot)


def _reschedule_back_url(reference: str, slot: Slot | None) -> str:
    base_url = reverse("booking:appointment_reschedule", args=[reference.upper()[:16]])
    if slot is None:
        return base_url
    day = timezone.localdate(slot.starts_at).isoformat()
    return _with_query(base_url, site=slot.site.slug, **{"from": day}, date=day)


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")
@domain_errors(fallback=_reschedule_fallback)
def appointment_reschedule_confirm(
    request: HttpRequest, reference: str, slot_id: int
) -> HttpResponse:
    appointment = _my_appointment(request, reference)
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
    if not _changeable(appointment, now):
        messages.info(request, _("This appointment can no longer be changed."))
        return redirect("booking:appointment_detail", reference=appointment.reference)
    new_slot = _visible_slot(request, slot_id, now=now, procedure_id=appointment.procedure_id)
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
