"""The console's pages about people: the point's home, finding a person,
registering a walk-in, the person's page, their consents.

Every change goes through ``mediation.services`` (consents, walk-ins) and is
refused there with a ``DomainError`` that ``core.views`` turns into a message.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from booking.errors import IdentityTaken
from booking.identity import Identity, identity_key
from booking.models import ACTIVE_STATUSES, reference_parse
from booking.selectors import appointments_for
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message, domain_errors
from mediation import services
from mediation.forms import ConsentForm, FindByDocumentForm, FindByReferenceForm, WalkInForm
from mediation.models import AccessPoint, ConsentPurpose
from mediation.selectors import (
    appointments_of_point,
    consents_of,
    consents_pending,
    contact_channels_consented,
    day_usage,
    people_find,
    person_by_reference,
)
from mediation.views.common import (
    console_person,
    console_required,
    is_supervisor,
    mediator_required,
    remember_found,
)
from notifications.models import Message

# How far ahead the point's page lists appointments, and how many.
COMING_DAYS = 14
COMING_AT_MOST = 50
# Consents shown as "expiring soon" on the point's page.
EXPIRING_WITHIN = timedelta(days=8)  # ends within the week: valid until today + 7
MESSAGES_AT_MOST = 50

NOBODY_FOUND = gettext_lazy(
    "Nobody on file matches both. Check them with the person, or register the person."
)

MESSAGE_LABELS = {
    "appointment_booked": gettext_lazy("Booking confirmation"),
    "appointment_cancelled": gettext_lazy("Cancellation"),
    "appointment_rescheduled": gettext_lazy("New time"),
    "appointment_reminder": gettext_lazy("Reminder"),
}


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The point's home ---------------------------------------------------------------------


@require_GET
@console_required
def home(request: HttpRequest) -> HttpResponse:
    """A mediator's access point: the day's and the coming appointments made
    there, consents about to end, the day's bookings against the caps.
    A supervisor gets the list of points, each with a way to raise its cap."""
    if is_supervisor(request.user):
        return render(
            request,
            "mediation/console/supervisor_home.html",
            {"points": AccessPoint.objects.filter(is_active=True), "console_page": "home"},
        )
    point = request.user.access_point
    now = timezone.now()
    today = timezone.localdate(now)
    made_here = appointments_of_point(point.pk).filter(
        status__in=ACTIVE_STATUSES,
        slot__starts_at__gte=_day_start(today),
        slot__starts_at__lt=_day_start(today + timedelta(days=COMING_DAYS + 1)),
    )[:COMING_AT_MOST]
    today_list, coming = [], []
    for appointment in made_here:
        is_today = timezone.localdate(appointment.slot.starts_at) == today
        (today_list if is_today else coming).append(appointment)
    expiring = consents_pending(point.pk, now=now).filter(valid_until__lt=today + EXPIRING_WITHIN)[
        :COMING_AT_MOST
    ]
    return render(
        request,
        "mediation/console/home.html",
        {
            "point": point,
            "today": today,
            "today_appointments": today_list,
            "coming_appointments": coming,
            "coming_days": COMING_DAYS,
            "expiring_consents": expiring,
            "usage": day_usage(access_point=point, day=today),
            "console_page": "home",
        },
    )


# --- Finding a person ---------------------------------------------------------------------


def _find_page(request, by_document, by_reference, *, searched: bool, status: int = 200):
    return render(
        request,
        "mediation/console/find.html",
        {
            "point": request.user.access_point,
            "by_document": by_document,
            "by_reference": by_reference,
            "searched": searched,
            "console_page": "find",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("people_find")
def find(request: HttpRequest) -> HttpResponse:
    """Find a person with what they hold: a document number and their date of
    birth, or a booking reference and their date of birth. Sent by POST: no
    document number in an address bar, a history or a log."""
    by_reference_sent = request.method == "POST" and request.POST.get("by") == "reference"
    by_document_sent = request.method == "POST" and not by_reference_sent
    by_document = FindByDocumentForm(request.POST if by_document_sent else None, prefix="document")
    by_reference = FindByReferenceForm(
        request.POST if by_reference_sent else None, prefix="reference"
    )
    if request.method != "POST":
        return _find_page(request, by_document, by_reference, searched=False)
    form = by_reference if by_reference_sent else by_document
    if not form.is_valid():
        return _find_page(request, by_document, by_reference, searched=False)
    data = form.cleaned_data
    if by_reference_sent:
        parsed = reference_parse(data["reference"])
        person = None
        if parsed is not None:
            person = person_by_reference(
                actor=request.user, reference=parsed, birth_date=data["birth_date"]
            )
        found = [person] if person is not None else []
    else:
        found = people_find(
            actor=request.user,
            document_number=data["document_number"],
            birth_date=data["birth_date"],
        )
    if not found:
        # Said on the form that was sent, like any other answer to it (RGAA 11.10).
        form.add_error(None, NOBODY_FOUND)
        return _find_page(request, by_document, by_reference, searched=True)
    remember_found(request, found)
    if len(found) == 1:
        return redirect("mediation:person", pk=found[0].pk)
    return render(
        request,
        "mediation/console/found.html",
        {"point": request.user.access_point, "people": found, "console_page": "find"},
    )


# --- Registering a walk-in ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("mediation")
def register(request: HttpRequest) -> HttpResponse:
    """Record a walk-in's identity, or find it when it is already on file."""
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identity = Identity.from_form(data)
        try:
            applicant = services.walk_in_register(
                actor=request.user,
                identity=identity,
                phone=data["phone"],
                email=data["email"],
                language=data["language"],
            )
        except IdentityTaken:
            # On file already: the same person, found rather than created twice.
            key = identity_key(
                document_type=identity.document_type,
                document_number=identity.document_number,
                nationality=identity.nationality,
            )
            on_file = [
                person
                for person in people_find(
                    actor=request.user,
                    document_number=identity.document_number,
                    birth_date=identity.birth_date,
                )
                if person.identity_key == key
            ]
            if on_file:
                remember_found(request, on_file)
                messages.info(
                    request,
                    _(
                        "This person is already on file: nothing was created. Record their "
                        "consent before acting for them."
                    ),
                )
                return redirect("mediation:consent_give", pk=on_file[0].pk)
            form.add_error(
                None,
                _(
                    "This document is already on file with another date of birth. Check the "
                    "date of birth with the person; nothing was created."
                ),
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            remember_found(request, [applicant])
            messages.success(
                request,
                _("The person is registered. Record their consent before acting for them."),
            )
            return redirect("mediation:consent_give", pk=applicant.pk)
    return render(
        request,
        "mediation/console/register.html",
        {"point": request.user.access_point, "form": form, "console_page": "register"},
    )


# --- The person's page --------------------------------------------------------------------


PURPOSE_LABELS = dict(ConsentPurpose.choices)


def person_context(request: HttpRequest, applicant) -> dict:
    """What every page about a person shows: who they are and their consents at
    the point (``in_force``: neither withdrawn nor past), and whether those allow
    booking for them (``may_book``) and putting them on a waiting list (``may_list``)."""
    point = request.user.access_point
    consents = list(consents_of(applicant, point.pk).select_related("mediator"))
    now = timezone.now()
    for consent in consents:
        consent.in_force = consent.is_valid(now=now)
        consent.purpose_labels = [PURPOSE_LABELS.get(p, p) for p in consent.purposes]
    in_force = [consent for consent in consents if consent.in_force]
    return {
        "point": point,
        "person": applicant,
        "consents": consents,
        "valid_consents": in_force,
        "may_book": any(ConsentPurpose.BOOKING in consent.purposes for consent in in_force),
        "may_list": any(ConsentPurpose.WAITING_LIST in consent.purposes for consent in in_force),
    }


@require_GET
@mediator_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = console_person(request, pk)
    now = timezone.now()
    appointments = list(
        appointments_for(request.user).filter(applicant=applicant).select_related("procedure")
    )
    sent = (
        Message.objects.filter(appointment__in=[a.pk for a in appointments])
        .only(
            "channel",
            "template_key",
            "status",
            "created_at",
            "sent_at",
            "delivered_at",
            "appointment_id",
            "destination",
        )
        .order_by("-created_at")[:MESSAGES_AT_MOST]
        if appointments
        else []
    )
    references = {a.pk: a.reference for a in appointments}
    for message in sent:
        message.label = MESSAGE_LABELS.get(message.template_key, message.template_key)
        message.reference = references.get(message.appointment_id, "")
        message.state_at = message.delivered_at  # (includes/person_messages.html)
    for appointment in appointments:
        # Offer to change or cancel it (includes/person_appointments.html).
        appointment.changeable = appointment.is_active and appointment.slot.ends_at > now
    # A walk-in registered at a point is written to only on the channels a
    # consent in force covers (mediation.receivers): say so beside the contact.
    withheld = set()
    if (
        applicant.user_id is None
        and applicant.access_point_id
        and (applicant.phone or applicant.email)
    ):
        consented = contact_channels_consented([applicant.pk], now=now).get(applicant.pk, set())
        withheld = {
            field
            for field, purpose in (
                ("phone", ConsentPurpose.CONTACT_SMS),
                ("email", ConsentPurpose.CONTACT_EMAIL),
            )
            if getattr(applicant, field) and purpose not in consented
        }
    # The waiting-list pages build on this module's person_context: imported here.
    from mediation.views.waitlist import PAGES as WAITLIST

    return render(
        request,
        "mediation/console/person.html",
        {
            **person_context(request, applicant),
            **WAITLIST.person_context(request, applicant),
            "appointments": appointments,
            "sent_messages": sent,
            "contact_withheld": withheld,
        },
    )


# --- Consents -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("mediation")
def consent_give(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = console_person(request, pk)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_give(
                actor=request.user,
                applicant=applicant,
                given_by=data["given_by"],
                given_by_name=data["given_by_name"],
                method=data["method"],
                purposes=data["purposes"],
                valid_until=data["valid_until"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("mediation:person", pk=applicant.pk)
    return render(
        request,
        "mediation/console/consent_give.html",
        {**person_context(request, applicant), "form": form},
    )


def _to_person(request: HttpRequest, pk: int, *args, **kwargs) -> str:
    return reverse("mediation:person", args=[pk])


@require_POST
@mediator_required
@ratelimited("mediation")
@domain_errors(fallback=_to_person)
def consent_withdraw(request: HttpRequest, pk: int, consent_id: int) -> HttpResponse:
    applicant = console_person(request, pk)
    consent = consents_of(applicant, request.user.access_point_id).filter(pk=consent_id).first()
    if consent is None:
        raise Http404
    services.consent_withdraw(actor=request.user, consent=consent)
    messages.success(request, _("The consent is withdrawn: nothing more is done with it."))
    return redirect("mediation:person", pk=applicant.pk)
