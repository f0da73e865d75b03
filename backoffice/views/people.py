"""The agents' pages about people (``/agent/people/``): finding a person,
registering a walk-in at the counter, the person's page.

Agents and supervisors only (anyone else logged in gets the 403 page). An
agent sees the people with an appointment at one of their sites
(``booking.permissions.visible_applicants``; supervisors: everyone), and for an
hour the walk-ins they just registered or found on file by registering them
(the person at the counter, their document in hand: ``REACHED_SESSION_KEY``).
Anyone else answers 404, exactly like a person who does not exist.

Searches are sent by POST: no document number nor name in an address, a
history or a log. They are counted (``RATELIMITS["agent_search"]``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role, User
from backoffice.people_forms import SEARCH_FORMS
from backoffice.people_selectors import (
    FOUND_AT_MOST,
    people_by_document,
    people_by_name,
    people_by_reference,
    person_appointments,
)
from backoffice.people_services import walk_in_found_on_file
from booking import rules
from booking.errors import IdentityTaken
from booking.identity import Identity
from booking.models import Applicant, Appointment, reference_parse
from booking.permissions import can_correct_identity, visible_applicants, visible_appointments
from booking.services import applicant_create
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message
from mediation.forms import WalkInForm
from notifications.selectors import message_delivery, messages_of_appointments

# The walk-ins an agent registered (or found on file by registering them) lately:
# {"<id>": epoch seconds}. Reachable by id for an hour, until booked at their site.
REACHED_SESSION_KEY = "agent_reached"
REACHED_FOR_SECONDS = 60 * 60
REACHED_AT_MOST = 20
# The newest messages the person's page lists.
MESSAGES_AT_MOST = 50

NOBODY_FOUND = gettext_lazy(
    "Nobody with an appointment at your sites matches. Check what the person gave you, "
    "or register them."
)

MESSAGE_LABELS = {
    "appointment_booked": gettext_lazy("Booking confirmation"),
    "appointment_cancelled": gettext_lazy("Cancellation"),
    "appointment_rescheduled": gettext_lazy("New time"),
    "appointment_reminder": gettext_lazy("Reminder"),
}


# --- Who may use these pages, and whom they are about --------------------------------------


def is_office_staff(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.role in (Role.AGENT, Role.SUPERVISOR)
    )


def office_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Agents and supervisors; anyone else logged in gets 403, anonymous visitors log in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_office_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _reached(request: HttpRequest) -> dict[str, float]:
    reached = request.session.get(REACHED_SESSION_KEY)
    if not isinstance(reached, dict):
        return {}
    horizon = time.time() - REACHED_FOR_SECONDS
    return {
        key: at
        for key, at in reached.items()
        if isinstance(at, int | float) and at > horizon and key.isascii() and key.isdigit()
    }


def remember_reached(request: HttpRequest, applicants: Iterable[Applicant]) -> None:
    reached = _reached(request)
    now = time.time()
    for applicant in applicants:
        reached[str(applicant.pk)] = now
    newest = sorted(reached.items(), key=lambda item: item[1], reverse=True)[:REACHED_AT_MOST]
    request.session[REACHED_SESSION_KEY] = dict(newest)


def office_person(request: HttpRequest, pk: int) -> Applicant:
    """The person ``pk`` if the agent may see them, else the 404 of a missing one."""
    reachable = visible_applicants(request.user)
    reached = [int(key) for key in _reached(request)]
    if reached:
        reachable |= Q(pk__in=reached)
    applicant = Applicant.objects.filter(reachable).filter(pk=pk).first()
    if applicant is None:
        raise Http404
    return applicant


def person_appointment(request: HttpRequest, applicant: Applicant, reference: str) -> Appointment:
    """One of ``applicant``'s appointments the agent may see (at their sites), else 404."""
    parsed = reference_parse(reference)
    if parsed is None:
        raise Http404
    appointment = (
        Appointment.objects.filter(visible_appointments(request.user))
        .select_related("slot__site", "procedure", "applicant")
        .filter(applicant=applicant, reference=parsed)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


# --- Finding a person ---------------------------------------------------------------------


def _forms(request: HttpRequest, sent: str | None) -> dict:
    return {
        by: form_class(request.POST if by == sent else None, prefix=by)
        for by, form_class in SEARCH_FORMS.items()
    }


def _search_page(request: HttpRequest, forms: dict, **context) -> HttpResponse:
    return render(
        request,
        "office/people/search.html",
        {"forms": forms, "office_page": "search", "at_most": FOUND_AT_MOST, **context},
    )


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_search")
def search(request: HttpRequest) -> HttpResponse:
    """Find a person by booking reference, by document number, or by surname and
    date of birth, among the people with an appointment at the agent's sites."""
    sent = request.POST.get("by") if request.method == "POST" else None
    if sent not in SEARCH_FORMS:
        sent = None if request.method != "POST" else "reference"
    forms = _forms(request, sent)
    if sent is None:
        return _search_page(request, forms)
    form = forms[sent]
    if not form.is_valid():
        return _search_page(request, forms)
    data = form.cleaned_data
    if sent == "reference":
        found = people_by_reference(actor=request.user, reference=data["reference"])
    elif sent == "document":
        found = people_by_document(actor=request.user, document_number=data["document_number"])
    else:
        found = people_by_name(
            actor=request.user, surname=data["surname"], birth_date=data["birth_date"]
        )
    if not found.people:
        # Said on the form that was sent, in its error summary (RGAA 11.10).
        form.add_error(None, NOBODY_FOUND)
        return _search_page(request, forms, searched=True)
    if len(found.people) == 1:
        return redirect("agent:person", pk=found.people[0].pk)
    return _search_page(request, forms, searched=True, found=found, sent=sent)


# --- Registering a walk-in ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
def register(request: HttpRequest) -> HttpResponse:
    """Record a walk-in's identity at the counter, or find it when it is on file.

    The same rules as online and at the access points (``applicant_create``, the
    agent as actor, audited); no consent is recorded: agents act under the
    prefecture's authority. A document already on file with the same date of
    birth is that person: nothing is created and the agent is taken to them
    (they hold the document, as at check-in; audited by ``walk_in_found_on_file``);
    with another date of birth, nothing is created and the agent is told to check it."""
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identity = Identity.from_form(data)
        try:
            applicant = applicant_create(
                actor=request.user,
                user=None,
                identity=identity,
                phone=data["phone"],
                email=data["email"],
                preferred_language=data["language"],
            )
        except IdentityTaken:
            on_file = walk_in_found_on_file(actor=request.user, identity=identity)
            if on_file is not None:
                remember_reached(request, [on_file])
                messages.info(request, _("This person is already on file: nothing was created."))
                return redirect("agent:person", pk=on_file.pk)
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
            remember_reached(request, [applicant])
            messages.success(request, _("The person is registered."))
            return redirect("agent:person", pk=applicant.pk)
    return render(request, "office/people/register.html", {"form": form, "office_page": "search"})


# --- The person's page --------------------------------------------------------------------


@require_GET
@office_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """Identity, the appointments at the agent's sites (the active ones elsewhere
    by procedure only), the messages sent about them with where each stands."""
    applicant = office_person(request, pk)
    now = timezone.now()
    appointments, elsewhere = person_appointments(actor=request.user, applicant=applicant)
    for appointment in appointments:
        appointment.changeable = rules.changeable(appointment, now)
    by_appointment = messages_of_appointments(appointments)
    references = {a.pk: a.reference for a in appointments}
    sent = sorted(
        (message for rows in by_appointment.values() for message in rows),
        key=lambda message: (message.created_at, message.pk),
        reverse=True,
    )[:MESSAGES_AT_MOST]
    for message in sent:
        message.label = MESSAGE_LABELS.get(message.template_key, message.template_key)
        message.reference = references.get(message.appointment_id, "")
        message.delivery = message_delivery(message)
        message.state_at = message.delivery.at  # (includes/person_messages.html)
    # The waiting-list pages are built on this module's office_person: imported here.
    from backoffice.views.people_waitlist import PAGES as WAITLIST

    return render(
        request,
        "office/people/person.html",
        {
            **WAITLIST.person_context(request, applicant),
            "person": applicant,
            "appointments": appointments,
            "elsewhere": elsewhere,
            "sent_messages": sent,
            "may_correct": can_correct_identity(request.user, applicant),
            "office_page": "search",
        },
    )
