"""Who may see and act on identities, slots and appointments: the one place
for these rules. Pages, API and admin all ask here; the services ask again
before they write (``booking.rules`` for when a slot may be booked).

The rules, by persona (a supervisor may do everything a role below may):

- **applicant**: sees and acts (book, cancel, reschedule) only on their own
  appointments; records only their own identity.
- **mediator**: sees and acts for the people *of their access point*
  (``people_of_point``): those the point registered (``Applicant.access_point``,
  set when a mediator records a walk-in), those a mediator of the point booked
  for (``Appointment.access_point``) and those with a valid consent given to
  the point; at any site. Every action for someone also needs that person's
  valid consent for it (``mediation`` refuses it otherwise: ``consent_required``,
  through ``booking.signals.acting_for``). Anyone else is found only with their
  document number and date of birth (``mediation.selectors.people_find``).
  Registers walk-ins (no account), never an account's identity.
  A mediator attached to no access point may do nothing.
- **agent**: sees and acts on the appointments *at their sites* (book for
  anyone at their sites, cancel or reschedule there: both the old and the new
  site must be theirs); publishes capacity for their sites; registers walk-ins
  (court-ordered convocations).
  Closes slots of their sites (cancelling their appointments) and lifts
  closures there (``can_close``).
- **supervisor**: all of that, at every site.

Staff pages to come (mediation, back office) ask the same functions.
Inactive or anonymous users may do nothing. Accounts and staff management:
``accounts.permissions``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from booking.models import Applicant, Appointment

if TYPE_CHECKING:
    from accounts.models import User
    from booking.models import Site

_NOTHING = Q(pk__in=[])


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


_POOLS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.APPLICANT: frozenset({"public"}),
    Role.MEDIATOR: frozenset({"public", "mediation"}),
    Role.AGENT: frozenset({"public", "mediation", "priority"}),
    Role.SUPERVISOR: frozenset({"public", "mediation", "priority"}),
}


def allowed_pools(user: User) -> frozenset[str]:
    """The slot pools a user may book from."""
    return _POOLS_BY_ROLE.get(user.role, frozenset())


def works_at(user: User, site_id: int) -> bool:
    """Is ``site_id`` one of the agent's sites (every site for a supervisor)?"""
    if not _active(user):
        return False
    if user.role == Role.SUPERVISOR:
        return True
    if user.role == Role.AGENT:
        return user.sites.filter(pk=site_id).exists()
    return False


def people_of_point(access_point_id: int, *, today: date | None = None) -> Q:
    """A filter on ``Applicant``: the people of access point ``access_point_id``.

    Those it registered (``Applicant.access_point``), those its mediators booked
    for (``Appointment.access_point``, pinned on the booking: a mediator moved
    to another point does not take them along), and those who gave it a consent
    still valid on ``today`` (local; default: now). The consent is looked up
    through its relation (``mediation.models.Consent``, above booking).
    """
    today = today or timezone.localdate()
    booked_there = Appointment.objects.filter(access_point_id=access_point_id).values(
        "applicant_id"
    )
    consented = Applicant.objects.filter(
        consents__access_point_id=access_point_id,
        consents__withdrawn_at__isnull=True,
        consents__valid_until__gte=today,
    ).values("pk")
    return Q(access_point_id=access_point_id) | Q(pk__in=booked_there) | Q(pk__in=consented)


def is_of_access_point(applicant: Applicant, access_point_id: int | None) -> bool:
    """Is ``applicant`` one of the point's people (``people_of_point``)?"""
    if access_point_id is None or applicant.pk is None:
        return False
    if applicant.access_point_id == access_point_id:
        return True
    return (
        type(applicant).objects.filter(people_of_point(access_point_id), pk=applicant.pk).exists()
    )


def can_act_for(user: User, applicant: Applicant, *, site_id: int) -> bool:
    """May ``user`` book, cancel or reschedule for ``applicant`` at site ``site_id``?

    ``site_id`` is where the appointment is (cancel) or will be (book); a
    reschedule asks for its old site and for its new one.
    """
    if not _active(user):
        return False
    if user.role == Role.APPLICANT:
        return applicant.user_id is not None and applicant.user_id == user.pk
    if user.role == Role.MEDIATOR:
        return is_of_access_point(applicant, user.access_point_id)
    if user.role in (Role.AGENT, Role.SUPERVISOR):
        return works_at(user, site_id)
    return False


def can_see_appointment(user: User, appointment: Appointment) -> bool:
    """May ``user`` see ``appointment``? The object form of ``visible_appointments``."""
    if not _active(user):
        return False
    return type(appointment).objects.filter(visible_appointments(user), pk=appointment.pk).exists()


def can_register_identity(user: User, account: User | None) -> bool:
    """May ``user`` record an identity for ``account`` (``None``: a walk-in)?

    Applicants only for their own account. Staff register walk-ins only: an
    account's identity is its owner's to enter (an agent corrects it later).
    A mediator must belong to an access point: the walk-in is registered there.
    """
    if not _active(user):
        return False
    if user.role == Role.APPLICANT:
        return account is not None and account.pk == user.pk
    if account is not None:
        return False
    if user.role == Role.MEDIATOR:
        return user.access_point_id is not None
    return user.role in (Role.AGENT, Role.SUPERVISOR)


def can_publish(user: User, site: Site) -> bool:
    """May ``user`` publish capacity at ``site``? Agents only for their sites."""
    return works_at(user, site.pk)


def can_close(user: User, site: Site) -> bool:
    """May ``user`` close (and reopen) slots at ``site``? Agents only for their sites."""
    return works_at(user, site.pk)


def managed_sites(user: User) -> Q:
    """A filter on ``Site``: the sites ``user`` works at (agents; supervisors: all)."""
    if not _active(user):
        return _NOTHING
    if user.role == Role.SUPERVISOR:
        return Q()
    if user.role == Role.AGENT:
        return Q(agents=user)
    return _NOTHING


def visible_applicants(user: User) -> Q:
    """A filter on ``Applicant``: the people ``user`` may see (and act for)."""
    if not _active(user):
        return _NOTHING
    if user.role == Role.APPLICANT:
        return Q(user=user)
    if user.role == Role.MEDIATOR:
        if user.access_point_id is None:
            return _NOTHING
        return people_of_point(user.access_point_id)
    if user.role == Role.AGENT:
        at_sites = Appointment.objects.filter(slot__site__agents=user)
        return Q(pk__in=at_sites.values("applicant_id"))
    if user.role == Role.SUPERVISOR:
        return Q()
    return _NOTHING


def addressable_applicants(user: User) -> Q:
    """A filter on ``Applicant``: the people ``user`` may name to book for
    (the API's ``{"slot", "applicant"}``); anyone else answers as a missing id.

    Applicants: themselves. Mediators: their point's people (``people_of_point``;
    the booking then needs the person's consent). Agents and supervisors: anyone
    (``can_act_for`` then asks whether the slot's site is theirs: an agent books
    court-ordered convocations for people who never came to their sites).
    """
    if not _active(user):
        return _NOTHING
    if user.role == Role.APPLICANT:
        return Q(user=user)
    if user.role == Role.MEDIATOR:
        if user.access_point_id is None:
            return _NOTHING
        return people_of_point(user.access_point_id)
    if user.role in (Role.AGENT, Role.SUPERVISOR):
        return Q()
    return _NOTHING


def visible_appointments(user: User) -> Q:
    """A filter on ``Appointment``: those ``user`` may see (and so act on)."""
    if not _active(user):
        return _NOTHING
    if user.role == Role.APPLICANT:
        return Q(applicant__user=user)
    if user.role == Role.MEDIATOR:
        if user.access_point_id is None:
            return _NOTHING
        # Those booked there, and every appointment of the point's people.
        people = Applicant.objects.filter(people_of_point(user.access_point_id)).values("pk")
        return Q(access_point_id=user.access_point_id) | Q(applicant_id__in=people)
    if user.role == Role.AGENT:
        return Q(slot__site__agents=user)
    if user.role == Role.SUPERVISOR:
        return Q()
    return _NOTHING


def can_correct_identity(user: User, applicant: Applicant) -> bool:
    """May ``user`` correct ``applicant``'s identity (with a reason, audited)?

    Supervisors for anyone; agents for a person who has an appointment at one of
    their sites (the counter is where the document is checked). Nobody else:
    the applicant corrects their own identity only until it is locked.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.SUPERVISOR:
        return True
    if user.role == Role.AGENT:
        return Appointment.objects.filter(
            applicant_id=applicant.pk, slot__site__agents=user
        ).exists()
    return False
