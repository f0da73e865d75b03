"""What the cases send, built from the persona world: URL arguments and bodies
that more than one area of the matrix uses, and the rows some cases need.

The rows are made once per world, on first use, and kept for the rest of the
test: ``closure_at`` (a closure of a site), ``substitution_request`` (a request
wishing a site, open or answered), ``injunction_at`` (a court order to serve at
a site). The accessibility visits use them too, with ``_calendar_day``.
``_convocation_cases`` are the convocation's cases, the same for its pages and
the API. A builder that one area alone uses is in that area's module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from booking.models import Applicant, Closure, Injunction
from substitution.models import SubstitutionRequest
from tests.helpers.matrix.expectations import Case, api_visible, seen_by
from tests.personas import World

# --- People and appointments ------------------------------------------------------------


def _ref(name: str) -> Callable[[World], dict]:
    return lambda s: {"reference": s.appointments[name].reference}


def _person(name: str) -> Callable[[World], dict]:
    return lambda s: {"pk": s.people[name].pk}


def _person_appointment(name: str) -> Callable[[World], dict]:
    return lambda s: {"pk": s.people[name].pk, "reference": s.appointments[name].reference}


def _walk_in_identity(s: World) -> dict:
    return {
        "surname": "Traoré",
        "given_names": "Mariam",
        "birth_date": "1985-03-02",
        "nationality": "ML",
        "document_type": "passport",
        "document_number": "AB123456",
    }


def _walk_in_proofs(s: World, **changes: str) -> dict:
    """What takes over the walk-in's file: its reference, date of birth and document."""
    walk_in = s.people["walk_in"]
    return {
        "reference": s.appointments["walk_in"].reference,
        "birth_date": walk_in.birth_date.isoformat(),
        "document_number": walk_in.document_number,
        **changes,
    }


def _convocation_cases(api: bool = False) -> list[Case]:
    visible = api_visible if api else lambda **seen: seen_by(*seen)
    return [
        Case(visible(applicant=1, agent=1, supervisor=1), kwargs=_ref("own"), label="own"),
        Case(
            visible(mediator=1, agent=1, supervisor=1),
            kwargs=_ref("walk_in"),
            label="walk-in's, booked by the point at the site",
        ),
        Case(
            visible(mediator=1, other_agent=1, supervisor=1),
            kwargs=_ref("helped"),
            label="helped by the point, at the other site",
        ),
        Case(
            visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=_ref("others"),
            label="at the other site",
        ),
    ]


# --- The site's day and calendar --------------------------------------------------------


def _counter_day(s: World) -> dict:
    return {"site": s.sites["site"].slug, "date": timezone.localdate().isoformat()}


def _calendar_day(s: World) -> dict:
    slot = s.slots["free"]
    day = timezone.localdate(slot.starts_at).isoformat()
    return {"site": "site", "procedure": "procedure", "day": day}


def closure_at(s: World, where: str) -> Closure:
    """A closure of ``where`` (a site of the world), made once per world: a row
    (no slot in its range), enough to see and lift it."""
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    found, _created = Closure.objects.get_or_create(
        site=s.sites[where],
        starts_at=start.replace(hour=0, minute=0, second=0),
        ends_at=start.replace(hour=23, minute=0, second=0),
        defaults={"kind": "strike", "reason": "Grève", "created_by": s.users["agent"]},
    )
    return found


# --- The substitution route -------------------------------------------------------------

_TRACKING = {
    ("site", False): "SSSSSSSSS2",
    ("other_site", False): "SSSSSSSSS3",
    ("none", False): "SSSSSSSSS4",
    ("site", True): "SSSSSSSSS5",
}


def substitution_request(s: World, where: str, *, answered: bool = False) -> SubstitutionRequest:
    """A substitution request wishing ``where`` (a site of the world, or ``"none"``),
    made once per world (kept for the rest of the test), open or answered."""
    site = None if where == "none" else s.sites[where]
    tracking = _TRACKING[where, answered]
    now = timezone.now()
    found, _created = SubstitutionRequest.objects.get_or_create(
        tracking=tracking,
        defaults={
            "surname": "Diallo",
            "given_names": "Awa",
            "birth_date": date(1990, 1, 2),
            "nationality": "ML",
            "document_type": "agdref",
            "document_number": "9399999999",
            "identity_key": "agdref:9399999999",
            "procedure": s.procedure,
            "site": site,
            "reason": "nothing_free",
            "email": "awa@example.test",
            "created_at": now,
            "due_at": now + timedelta(days=15),
            **(
                {"state": "answered", "outcome": "referred", "answer": "OFII", "answered_at": now}
                if answered
                else {}
            ),
        },
    )
    return found


def _request_at(where: str, *, answered: bool = False) -> Callable[[World], dict]:
    return lambda s: {"pk": substitution_request(s, where, answered=answered).pk}


def _substitution_form(s: World) -> dict:
    return {
        "surname": "Diallo",
        "given_names": "Awa",
        "birth_date": "1990-01-02",
        "nationality": "ML",
        "document_type": "agdref",
        "document_number": "9388888888",
        "procedure": s.procedure.pk,
        "site": s.sites["site"].pk,
        "reason": "nothing_free",
        "email": "awa@example.test",
        "language": "fr",
    }


# --- Court-ordered convocations ---------------------------------------------------------

_CASE_NUMBERS = {"site": "MATRIX-1", "other_site": "MATRIX-2"}


def injunction_at(s: World, where: str) -> Injunction:
    """A court order to be served at ``where`` (a site of the world), for a walk-in of its
    own, not served: made once per world (kept for the rest of the test)."""
    existing = Injunction.objects.filter(case_number=_CASE_NUMBERS[where]).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    person = Applicant(
        surname="Konaté",
        given_names="Issa",
        birth_date=date(1988, 6, 1),
        nationality="ML",
        document_type="passport",
        document_number=f"MX{len(where)}77777",
        phone="+33698765432",
    )
    person.save()
    return Injunction.objects.create(
        court="Tribunal administratif de Montreuil",
        case_number=_CASE_NUMBERS[where],
        ordered_on=today - timedelta(days=2),
        deadline=today + timedelta(days=10),
        applicant=person,
        procedure=s.procedure,
        site=s.sites[where],
    )


def _injunction(where: str, key: str = "pk") -> Callable[[World], dict]:
    return lambda s: {key: injunction_at(s, where).pk}
