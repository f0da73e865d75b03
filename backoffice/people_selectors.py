"""Reads of the agents' pages about people: finding a person, what their page
shows. Who may see whom is ``booking.permissions`` (``visible_applicants``,
``visible_appointments``); these functions only apply it.

An agent finds the people with an appointment at one of their sites
(supervisors: everyone), by what the person at the counter holds: a booking
reference, a document number, or their surname *and* date of birth. Never by
a surname alone: a surname is not a secret, and a list of everyone called
Diallo is not what a counter needs. Values are compared in their normalised
form, as the identity rules store them (``booking.identity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from accounts.models import User
from booking.identity import normalize_document_number, normalize_name
from booking.models import ACTIVE_STATUSES, Applicant, Appointment, reference_parse
from booking.permissions import visible_applicants, visible_appointments

# The most people one search lists: a counter needs a few names, not a directory.
FOUND_AT_MOST = 20

_NUMBER_MAX = Applicant._meta.get_field("document_number").max_length


@dataclass(frozen=True)
class Found:
    """The people a search found, at most ``FOUND_AT_MOST``; ``more`` when there were more."""

    people: list[Applicant]
    more: bool = False


def _bounded(people: QuerySet[Applicant]) -> Found:
    rows = list(people.order_by("surname_normalized", "given_names", "pk")[: FOUND_AT_MOST + 1])
    return Found(people=rows[:FOUND_AT_MOST], more=len(rows) > FOUND_AT_MOST)


def _seen_by(actor: User) -> QuerySet[Applicant]:
    return Applicant.objects.filter(visible_applicants(actor))


# The searches as querysets (the API pages through them), then bounded for the page.


def people_with_reference(*, actor: User, reference: str) -> QuerySet[Applicant]:
    """The person of the appointment ``reference``, if ``actor`` may see that
    appointment (one at their sites); else nobody."""
    parsed = reference_parse(reference or "")
    if parsed is None:
        return Applicant.objects.none()
    booked = Appointment.objects.filter(visible_appointments(actor), reference=parsed)
    return _seen_by(actor).filter(pk__in=booked.values("applicant_id"))


def people_with_document(
    *, actor: User, document_number: str, birth_date: date | None = None
) -> QuerySet[Applicant]:
    """The people ``actor`` may see whose document number, normalised, is this
    one: on file now, or as booked on one of the appointments ``actor`` may see
    (a number corrected since). Several when one passport number exists in two
    countries. With ``birth_date``, only those born that day."""
    number = normalize_document_number(document_number or "")
    if not number or len(number) > _NUMBER_MAX:
        return Applicant.objects.none()
    booked_as = Appointment.objects.filter(visible_appointments(actor), document_number=number)
    people = _seen_by(actor).filter(
        Q(document_number=number) | Q(pk__in=booked_as.values("applicant_id"))
    )
    return people if birth_date is None else people.filter(birth_date=birth_date)


def people_with_name(*, actor: User, surname: str, birth_date: date) -> QuerySet[Applicant]:
    """The people ``actor`` may see with this surname (normalised) and date of
    birth. Both are required: a surname alone finds nobody."""
    name = normalize_name(surname or "")
    if not name or not isinstance(birth_date, date):
        return Applicant.objects.none()
    return _seen_by(actor).filter(surname_normalized=name, birth_date=birth_date)


def people_by_reference(*, actor: User, reference: str) -> Found:
    return _bounded(people_with_reference(actor=actor, reference=reference))


def people_by_document(*, actor: User, document_number: str) -> Found:
    return _bounded(people_with_document(actor=actor, document_number=document_number))


def people_by_name(*, actor: User, surname: str, birth_date: date) -> Found:
    return _bounded(people_with_name(actor=actor, surname=surname, birth_date=birth_date))


def person_appointments(*, actor: User, applicant: Applicant) -> tuple[list, list]:
    """``applicant``'s appointments as ``actor`` sees them: those ``actor`` may
    see (at their sites), newest first, with slot, site and procedure; and the
    others that are still active, as ``(procedure name, status)`` only (no
    reference, time nor site: those are the other site's), because one active
    appointment per procedure is the rule, and an agent booking for the person
    must know why a procedure is taken. Two queries."""
    visible = visible_appointments(actor)
    mine = list(
        Appointment.objects.filter(visible, applicant=applicant)
        .select_related("slot__site", "procedure")
        .order_by("-slot__starts_at", "-pk")
    )
    elsewhere = list(
        Appointment.objects.filter(applicant=applicant, status__in=ACTIVE_STATUSES)
        .exclude(pk__in=[a.pk for a in mine])
        .order_by("procedure__name")
        .values_list("procedure_id", "procedure__name")
    )
    return mine, elsewhere
