"""The counter (``/agent/``): the day's list of a site, checking people in,
marking them seen, closing the day (no-shows).

Agents for their sites, supervisors for every site (``booking.permissions``):
anyone else logged in gets 403. A site or an appointment the agent does not
serve answers 404, exactly like one that does not exist. Every change goes
through ``booking.services`` (which ask the permissions again, lock and
audit); every POST is rate-limited (scope ``counter``).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from backoffice.counter_forms import CheckInForm, CheckInOverrideForm, DayFilterForm
from booking import errors, selectors, services
from booking.models import Appointment, AppointmentStatus, Site
from core.data_language import french
from core.errors import DomainError, NotFound
from core.ratelimit import ratelimited
from core.views import domain_error_message

COUNTER_ROLES = (Role.AGENT, Role.SUPERVISOR)


def _counter_staff(request: HttpRequest) -> None:
    if request.user.role not in COUNTER_ROLES:
        raise PermissionDenied


def _site(request: HttpRequest, slug: str | None, sites: list[Site] | None = None) -> Site | None:
    """The site ``slug`` if the user works there (404 otherwise); without a
    slug, the first of their sites (``None``: they have none)."""
    if slug:
        if sites is not None:
            site = next((s for s in sites if s.slug == slug), None)
        else:
            site = selectors.counter_site(request.user, slug)
        if site is None:
            raise Http404
        return site
    if sites is None:
        sites = list(selectors.counter_sites(request.user)[:1])
    return sites[0] if sites else None


def day_url(site: Site, day: date) -> str:
    return f"{reverse('agent:day')}?{urlencode({'site': site.slug, 'date': day.isoformat()})}"


def _who(appointment: Appointment) -> SafeString | str:
    """Who booked, for the list: online, at an access point (its name, marked
    French: ``core.data_language``), an agent."""
    if appointment.access_point_id is not None:
        return format_html(
            "{} · {}", appointment.get_channel_display(), french(appointment.access_point.name)
        )
    return appointment.get_channel_display()


@require_http_methods(["GET"])
@login_required
def day(request: HttpRequest) -> HttpResponse:
    _counter_staff(request)
    sites = list(selectors.counter_sites(request.user))
    site = _site(request, request.GET.get("site"), sites)
    form = DayFilterForm(request.GET)
    the_day = form.day()
    rows = []
    if site is not None:
        rows = list(selectors.counter_day(site=site, day=the_day, **form.filters()))
        for row in rows:
            row.who = _who(row)
    today = timezone.localdate()
    return render(
        request,
        "office/counter/day.html",
        {
            "office_page": "day",
            "sites": sites,
            "site": site,
            "form": form,
            "day": the_day,
            "is_today": the_day == today,
            "can_close": the_day <= today,
            "rows": rows,
            "booked": AppointmentStatus.BOOKED,
            "checked_in": AppointmentStatus.CHECKED_IN,
        },
    )


def _checkin_page(
    request: HttpRequest,
    form: CheckInForm,
    override: CheckInOverrideForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "office/counter/checkin.html",
        {"office_page": "day", "form": form, "override": override},
        status=status,
    )


def _checked_in_message(request: HttpRequest, appointment: Appointment) -> None:
    starts = timezone.localtime(appointment.slot.starts_at)
    messages.success(
        request,
        _("%(name)s is checked in (%(time)s, %(procedure)s, reference %(reference)s).")
        % {
            "name": f"{appointment.surname.upper()} {appointment.given_names}",
            "time": formats.time_format(starts, "TIME_FORMAT"),
            "procedure": appointment.procedure.name,
            "reference": appointment.reference,
        },
    )


def _override_form(request: HttpRequest, **kwargs) -> CheckInOverrideForm | None:
    if request.user.role != Role.SUPERVISOR:
        return None
    return CheckInOverrideForm(prefix="override", **kwargs)


@require_http_methods(["GET", "POST"])
@login_required
@ratelimited("counter")
def checkin(request: HttpRequest) -> HttpResponse:
    _counter_staff(request)
    reference = request.GET.get("reference", "")[:16]
    form = CheckInForm(request.POST or None, initial={"reference": reference})
    if reference and request.method == "GET":
        # The reference comes from the day's list: the document number is next.
        form.fields["reference"].widget.attrs.pop("autofocus", None)
        form.fields["document_number"].widget.attrs["autofocus"] = True
    override = _override_form(request, initial={"reference": reference})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_check_in(
                actor=request.user,
                reference=data["reference"],
                document_number=data["document_number"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
            override = _override_form(request, initial={"reference": data["reference"]})
            return _checkin_page(request, form, override, status=exc.status)
        _checked_in_message(request, appointment)
        return redirect("agent:checkin")
    return _checkin_page(request, form, override)


@require_POST
@login_required
@ratelimited("counter")
def checkin_override(request: HttpRequest) -> HttpResponse:
    _counter_staff(request)
    if request.user.role != Role.SUPERVISOR:
        raise PermissionDenied
    override = CheckInOverrideForm(request.POST, prefix="override")
    form = CheckInForm(initial={"reference": request.POST.get("override-reference", "")[:16]})
    if not override.is_valid():
        return _checkin_page(request, form, override)
    data = override.cleaned_data
    try:
        appointment = services.appointment_check_in_override(
            actor=request.user, reference=data["reference"], reason=data["reason"]
        )
    except DomainError as exc:
        override.add_error(None, domain_error_message(exc))
        return _checkin_page(request, form, override, status=exc.status)
    _checked_in_message(request, appointment)
    return redirect("agent:checkin")


@require_POST
@login_required
@ratelimited("counter")
def done(request: HttpRequest, reference: str) -> HttpResponse:
    _counter_staff(request)
    try:
        appointment = services.appointment_done(
            actor=request.user, appointment=Appointment(reference=reference)
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
        return redirect("agent:day")
    messages.success(
        request,
        _("%(name)s has been seen.")
        % {"name": f"{appointment.surname.upper()} {appointment.given_names}"},
    )
    return redirect(day_url(appointment.slot.site, timezone.localdate(appointment.slot.starts_at)))


@require_http_methods(["GET", "POST"])
@login_required
@ratelimited("counter")
def close_day(request: HttpRequest) -> HttpResponse:
    """Closing a site's day: a confirmation (how many will be marked), then the
    one action that marks the still-booked ones whose time has passed as no-shows."""
    _counter_staff(request)
    data = request.POST if request.method == "POST" else request.GET
    site = _site(request, data.get("site"))
    if site is None:
        raise Http404
    form = DayFilterForm({"date": data.get("date", "")})
    the_day = form.day()
    now = timezone.now()
    if the_day > timezone.localdate(now):
        messages.error(request, _("A day to come cannot be closed."))
        return redirect(day_url(site, the_day))
    if request.method == "POST":
        try:
            count = services.day_no_shows_mark(actor=request.user, site=site, day=the_day, now=now)
        except errors.SiteNotFound:  # pragma: no cover - _site checked it
            raise Http404 from None
        messages.success(
            request,
            ngettext(
                "%(count)s appointment marked as a no-show.",
                "%(count)s appointments marked as no-shows.",
                count,
            )
            % {"count": count},
        )
        return redirect(day_url(site, the_day))
    due = (
        selectors.counter_day(site=site, day=the_day, status=AppointmentStatus.BOOKED)
        .filter(slot__ends_at__lte=now)
        .count()
    )
    return render(
        request,
        "office/counter/close_day.html",
        {
            "office_page": "day",
            "site": site,
            "day": the_day,
            "due": due,
            "back_url": day_url(site, the_day),
        },
    )
