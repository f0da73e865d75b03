"""What the waiting list's and the offers' API views share: the schema's texts
of their refusals, who sees which entries and offers, the person a request
acts for, and the renderings.

The views check input, pick the person and call ``allocation.services`` or
``allocation.selectors``; the services' refusals are domain errors, answered
once by ``core.api`` as ``{code, detail}`` with their status. What the caller
may not see (someone else's entry or offer, another site's) answers exactly
like a missing one: ``waitlist_entry_not_found``, ``offer_not_found``,
``applicant_not_found``. Staff act for a person as in ``POST /appointments/``
(``booking.permissions``; a mediator also needs the person's consent, asked
by the services through ``allocation.signals.acting_for_entry``).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request

from accounts.models import Role, User
from allocation import errors, selectors
from allocation.api.serializers import EntrySerializer, OfferSerializer
from allocation.models import WaitlistEntry
from booking import errors as booking_errors
from booking.api.views.common import own_applicant
from booking.models import Applicant, Site
from booking.permissions import addressable_applicants, managed_sites, visible_applicants
from core.parsing import MAX_ID

# --- What the endpoints answer when refused (the schema's descriptions) -----------------

JOIN_400 = (
    "`invalid` (a malformed field, an unknown procedure or site, every weekday excluded; "
    "staff: `applicant` missing), `invalid_waitlist_entry`, `parse_error`; an applicant "
    "joining: `proof_of_work_required`, `proof_of_work_invalid` (the `Altcha` header, "
    "see `GET /challenge/`)"
)
JOIN_403 = (
    "`account_not_verified`, `procedure_not_self_bookable` (staff put people on its list), "
    "`not_allowed` (staff: not one of your sites), `consent_required` (a mediator without "
    "the person's valid consent for the waiting list), `no_show_cooling`, `cancel_cooling`, "
    "`account_suspended` (your account was suspended while the request ran: nothing was "
    "written)"
)
JOIN_409 = (
    "`already_waiting` (the person is on this procedure's list), `already_booked` (they "
    "have an appointment for it), `not_given_out_by_list` (none of the sites chosen gives "
    "the procedure out by its waiting list: book in the calendar), `procedure_unavailable`, "
    "`document_not_accepted`, `identity_missing` (an applicant without an identity on file)"
)
CHANGE_400 = (
    "`invalid` (a malformed field, an unknown site, every weekday excluded, nothing sent), "
    "`invalid_waitlist_entry`, `parse_error`"
)
PERSON_404 = "`applicant_not_found` (also a person you may not name)"
ENTRY_404 = "`waitlist_entry_not_found` (also an entry you may not see)"
OFFER_404 = "`offer_not_found` (also an offer you may not see)"
ACTING_403 = "`consent_required` (a mediator without the person's valid consent)"
ANSWER_409 = (
    "`offer_not_open` (answered or withdrawn already), `offer_expired` (the seat went to "
    "the next person)"
)
LIST_400 = "`invalid`: a malformed filter, `cursor` or `page_size`"


# --- Who sees what ----------------------------------------------------------------------


def visible_entries(user: User) -> Q:
    """A filter on ``WaitlistEntry``: those ``user`` may see and act on, as
    ``allocation.selectors.entry_for`` decides one by one (staff: a person they
    may act for at every site of the entry)."""
    if not (user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if user.role == Role.APPLICANT:
        return Q(applicant__user_id=user.pk)
    if user.role == Role.MEDIATOR:
        return Q(applicant__in=Applicant.objects.filter(visible_applicants(user)).values("pk"))
    if user.role == Role.AGENT:
        sites = list(Site.objects.filter(managed_sites(user)).values_list("pk", flat=True))
        return Q(site_ids__contained_by=sites)
    if user.role == Role.SUPERVISOR:
        return Q()
    return Q(pk__in=[])


def visible_offers(user: User) -> Q:
    """A filter on ``Offer``: those ``user`` may see, as ``allocation.selectors.
    offer_for`` decides one by one (staff: a person they may act for at the
    offer's site)."""
    if not (user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if user.role == Role.APPLICANT:
        return Q(applicant__user_id=user.pk)
    if user.role == Role.MEDIATOR:
        return Q(applicant__in=Applicant.objects.filter(visible_applicants(user)).values("pk"))
    if user.role in (Role.AGENT, Role.SUPERVISOR):
        return Q(slot__site__in=Site.objects.filter(managed_sites(user)).values("pk"))
    return Q(pk__in=[])


def person_acted_for(request: Request, applicant_id: int | None) -> Applicant:
    """The person a request acts for, as ``POST /appointments/`` picks them: an
    applicant themselves (naming anyone else: ``applicant_not_found``, as a
    missing id); staff must name a person they may address."""
    user = request.user
    if user.role == Role.APPLICANT:
        own = own_applicant(request)
        if applicant_id is not None and applicant_id != own.pk:
            raise booking_errors.ApplicantNotFound()
        return own
    if applicant_id is None:
        raise serializers.ValidationError({"applicant": [_("This field is required.")]})
    person = Applicant.objects.filter(addressable_applicants(user)).filter(pk=applicant_id).first()
    if person is None:
        raise booking_errors.ApplicantNotFound()
    return person


def site_slugs_of(entries) -> dict[int, str]:
    ids = {pk for entry in entries for pk in entry.site_ids}
    return dict(Site.objects.filter(pk__in=ids).values_list("pk", "slug")) if ids else {}


def entry_rendered(entry: WaitlistEntry) -> dict:
    view = selectors.entry_view(entry)
    return EntrySerializer(view, context={"sites": site_slugs_of([entry])}).data


def checked_id(pk: int, error: type[Exception]) -> int:
    # Past bigint: no row has it (and the database is not asked).
    if not 1 <= pk <= MAX_ID:
        raise error()
    return pk


def offer_rendered(user: User, pk: int) -> dict:
    offer = selectors.offer_for(user, pk)
    if offer is None:
        raise errors.OfferNotFound()
    return OfferSerializer(offer).data
