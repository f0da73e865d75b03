"""What the console's pages share: who may use them, the person a page is about,
the people a mediator has just found.

Refusals look like the other staff pages': an anonymous visitor is sent to log
in, anyone else who may not use a page gets the 403 page. A person the
mediator may not see answers 404, exactly like one that does not exist.

A mediator sees the people of their point (``mediation.selectors.people_of_point``)
and, for a while, the people they have just found with what the person in
front of them holds (document number or booking reference, and date of birth):
those ids are kept in the session (``FOUND_SESSION_KEY``) so that the mediator
can record the person's consent, after which the person is one of the point's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Role, User
from booking.models import Applicant, Appointment, reference_parse
from booking.selectors import appointments_for
from mediation.selectors import people_of_point

# The people a mediator found in this session, by id, with when: {"<id>": epoch seconds}.
FOUND_SESSION_KEY = "mediation_found"
# How long a person found stays reachable without being one of the point's.
FOUND_FOR_SECONDS = 60 * 60
FOUND_AT_MOST = 20


def is_point_mediator(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.MEDIATOR
        and user.access_point_id is not None
    )


def is_supervisor(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.SUPERVISOR)


def _allowed(check: Callable[[User], bool]) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


# The mediators of an access point: finding, registering, acting for a person.
mediator_required = _allowed(is_point_mediator)
# The console's home: a mediator's point, or the supervisors' view of the points.
console_required = _allowed(lambda user: is_point_mediator(user) or is_supervisor(user))
# Raising a cap for a day.
supervisor_required = _allowed(is_supervisor)


# --- People found --------------------------------------------------------------------------


def _found(request: HttpRequest) -> dict[str, float]:
    found = request.session.get(FOUND_SESSION_KEY)
    if not isinstance(found, dict):
        return {}
    horizon = time.time() - FOUND_FOR_SECONDS
    return {
        key: at
        for key, at in found.items()
        if isinstance(at, int | float) and at > horizon and key.isascii() and key.isdigit()
    }


def found_ids(request: HttpRequest) -> list[int]:
    """The people this mediator found lately (and may still reach by id)."""
    return [int(key) for key in _found(request)]


def remember_found(request: HttpRequest, applicants: Iterable[Applicant]) -> None:
    found = _found(request)
    now = time.time()
    for applicant in applicants:
        found[str(applicant.pk)] = now
    newest = sorted(found.items(), key=lambda item: item[1], reverse=True)[:FOUND_AT_MOST]
    request.session[FOUND_SESSION_KEY] = dict(newest)


# --- The person a page is about ------------------------------------------------------------


def console_person(request: HttpRequest, pk: int) -> Applicant:
    """The person ``pk`` if the mediator may see them (one of the point's, or
    found lately), else the 404 of a person who does not exist."""
    reachable = people_of_point(request.user.access_point_id)
    found = found_ids(request)
    if found:
        reachable |= Q(pk__in=found)
    applicant = Applicant.objects.filter(reachable).filter(pk=pk).first()
    if applicant is None:
        raise Http404
    return applicant


def person_appointment(request: HttpRequest, applicant: Applicant, reference: str) -> Appointment:
    """One of ``applicant``'s appointments that the mediator may see, else 404."""
    parsed = reference_parse(reference)
    if parsed is None:
        raise Http404
    appointment = (
        appointments_for(request.user)
        .select_related("applicant", "procedure")
        .filter(applicant=applicant, reference=parsed)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment
