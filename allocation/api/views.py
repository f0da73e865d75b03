"""The waiting list and its offers through the API: ``/api/v1/waitlist/`` and
``/api/v1/offers/``.

The views check input, pick the person and call ``allocation.services`` or
``allocation.selectors``; the services' refusals are domain errors, answered
once by ``core.api`` as ``{code, detail}`` with their status. What the caller
may not see (someone else's entry or offer, another site's) answers exactly
like a missing one: ``waitlist_entry_not_found``, ``offer_not_found``,
``applicant_not_found``. Staff act for a person as in ``POST /appointments/``
(``booking.permissions``; a mediator also needs the person's consent, asked
by the services through ``allocation.signals.acting_for_entry``).

Joining creates a record: it is counted in the rate-limit scope
``waitlist_join`` (per account and per client address); the answers (leave,
resume, accept, decline) in ``booking``. The whole of a join is one function,
``waitlist_join_request``, the one place a check before joining (the
proof-of-work) goes.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from allocation import errors, selectors, services
from allocation.api import hotpath
from allocation.api.serializers import (
    EntryListQuerySerializer,
    EntrySerializer,
    OfferFilterSerializer,
    OfferSerializer,
    WaitlistJoinSerializer,
    entry_data,
)
from allocation.models import ENTRY_IN_FORCE, Offer, WaitlistEntry
from booking import errors as booking_errors
from booking.api.serializers import AppointmentSerializer
from booking.api.views.common import own_applicant, rendered
from booking.models import Applicant, Channel, Site
from booking.permissions import addressable_applicants, managed_sites, visible_applicants
from core.antibot import antibot_require
from core.api import error_responses
from core.pagination import CursorPage, page_of, pagination_parameters
from core.parsing import MAX_ID

# --- What the endpoints answer when refused (the schema's descriptions) -----------------

JOIN_400 = (
    "`invalid` (a malformed field, an unknown procedure or site, every weekday excluded; "
    "staff: `applicant` missing), `invalid_waitlist_entry`, `parse_error`"
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


def _visible_entries(user: User) -> Q:
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


def _visible_offers(user: User) -> Q:
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


def _person(request: Request, applicant_id: int | None) -> Applicant:
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


def _site_slugs(entries) -> dict[int, str]:
    ids = {pk for entry in entries for pk in entry.site_ids}
    return dict(Site.objects.filter(pk__in=ids).values_list("pk", "slug")) if ids else {}


def _entry_rendered(entry: WaitlistEntry) -> dict:
    view = selectors.entry_view(entry)
    return EntrySerializer(view, context={"sites": _site_slugs([entry])}).data


def _checked_id(pk: int, error: type[Exception]) -> int:
    # Past bigint: no row has it (and the database is not asked).
    if not 1 <= pk <= MAX_ID:
        raise error()
    return pk


def _offer_rendered(user: User, pk: int) -> dict:
    offer = selectors.offer_for(user, pk)
    if offer is None:
        raise errors.OfferNotFound()
    return OfferSerializer(offer).data


# --- Joining: the one function ------------------------------------------------------------


def waitlist_join_request(
    request: Request, reference: hotpath.JoinReference | None = None
) -> tuple[WaitlistEntry, dict[int, str]]:
    """Everything a join by API does between parsing and rendering: check the
    body, pick the person, call ``waitlist_join``. A check that must pass before
    anyone joins (the proof-of-work challenge) is one call at the top here.
    ``reference``: what ``hotpath.prefetch`` read of the body, if anything.
    Returns the entry and the slugs of its sites by id."""
    if request.user.role == Role.APPLICANT:
        # A person joining themselves solves the proof-of-work, as for a booking;
        # staff joining someone do not.
        antibot_require(request)
    plain = hotpath.join_validated(reference) if reference is not None else None
    if plain is not None:
        # What the serializer would give (``hotpath.join_validated``), without making it.
        data, site_slugs, queued = plain, plain["site_slugs"], reference.queued
    else:
        body = WaitlistJoinSerializer(data=request.data, context={"reference": reference})
        body.is_valid(raise_exception=True)
        data, site_slugs, queued = body.validated_data, body.site_slugs, body.queued_site_ids
    applicant = _person(request, data.get("applicant"))
    entry = services.waitlist_join(
        actor=request.user,
        applicant=applicant,
        procedure=data["procedure"],
        site_ids=data["sites"],
        weekdays_excluded=data["weekdays_excluded"],
        permit_expires_on=data.get("permit_expires_on"),
        channel=Channel.API,
        queue_site_ids=queued,
    )
    return entry, site_slugs


# --- The waiting list -----------------------------------------------------------------------


class WaitlistView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    # The writes only (joining); reading one's entries is not counted.
    throttle_scope = "waitlist_join"

    def perform_authentication(self, request: Request) -> None:
        """For a join by token, the token, the procedure and the sites asked
        for are read in one statement (``hotpath``): DRF then authenticates
        from that read and ``post`` takes the procedure and the sites from it."""
        if request.method == "POST":
            self._join_prefetched = hotpath.prefetch(request._request)
        super().perform_authentication(request)

    @extend_schema(
        operation_id="waitlist_list",
        description="The entries in force (waiting or paused) of a person, oldest first, "
        "each with its place in the list, the estimate of the wait and the open offer. "
        "An applicant: their own. Staff: name the person (`?applicant=`), one they may act "
        "for (an agent sees the entries whose sites are all theirs).",
        parameters=[EntryListQuerySerializer, *pagination_parameters()],
        responses={
            200: page_of(EntrySerializer),
            **error_responses(
                400,
                401,
                404,
                s400=f"{LIST_400}; staff: `applicant` missing",
                s404=PERSON_404,
            ),
        },
        tags=["waiting list"],
    )
    def get(self, request: Request) -> Response:
        query = EntryListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        named = query.validated_data.get("applicant")
        if request.user.role == Role.APPLICANT:
            if named is not None:
                own = Applicant.objects.filter(user_id=request.user.pk).values_list("pk").first()
                if own != (named,):
                    raise booking_errors.ApplicantNotFound()
            entries = WaitlistEntry.objects.filter(applicant__user_id=request.user.pk)
        else:
            person = _person(request, named)
            entries = WaitlistEntry.objects.filter(applicant=person).filter(
                _visible_entries(request.user)
            )
        entries = entries.filter(status__in=ENTRY_IN_FORCE).select_related("procedure", "applicant")
        paginator = CursorPage(ordering="pk")
        page = paginator.paginate_queryset(entries, request)
        views = [selectors.entry_view(entry) for entry in page]
        rows = EntrySerializer(views, many=True, context={"sites": _site_slugs(page)}).data
        return paginator.get_paginated_response(rows)

    @extend_schema(
        operation_id="waitlist_join",
        description="Put a person on a procedure's waiting list, for the sites they can "
        "reach and the weekdays they can come: the seats of the procedure's list are then "
        "offered to the people waiting, in the list's order (a priority class, then the "
        "moment of joining), each held for a while. An applicant joins for themselves; "
        "staff for a person they may act for (`applicant`), as when booking. One entry per "
        "person and procedure. Counted in the rate limit `waitlist_join`, per account and "
        "per client address. The 201 gives the entry as written, without its place "
        "(`position` and `weeks_estimate` null): read it at its address (the `Location` "
        "header, `GET /waitlist/<id>/`) for them.",
        request=WaitlistJoinSerializer,
        responses={
            201: EntrySerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s400=JOIN_400,
                s403=JOIN_403,
                s404=PERSON_404,
                s409=JOIN_409,
            ),
        },
        examples=[
            OpenApiExample(
                "An applicant",
                value={"procedure": "premiere-demande", "sites": ["bobigny"]},
                request_only=True,
            ),
            OpenApiExample(
                "An agent, for a renewal",
                value={
                    "procedure": "renouvellement",
                    "sites": ["bobigny", "saint-denis"],
                    "weekdays_excluded": [6, 7],
                    "applicant": 42,
                    "permit_expires_on": "2027-01-15",
                },
                request_only=True,
            ),
        ],
        tags=["waiting list"],
    )
    def post(self, request: Request) -> Response:
        entry, site_slugs = waitlist_join_request(request, getattr(self, "_join_prefetched", None))
        # The new entry as written, without its place: counting the people
        # before it reads the whole list, which a storm of joins would do once
        # per join. The entry's own address (``Location``) gives the place.
        view = selectors.EntryView(entry=entry, position=None, weeks_estimate=None, offer=None)
        return Response(
            entry_data(view, site_slugs),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api:waitlist-entry", args=[entry.pk])},
        )


class WaitlistEntryView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"  # leaving (reading is not counted)

    @extend_schema(
        operation_id="waitlist_retrieve",
        description="One entry (in force or not) with its place, estimate and open offer.",
        responses={200: EntrySerializer, **error_responses(401, 404, s404=ENTRY_404)},
        tags=["waiting list"],
    )
    def get(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_for(request.user, _checked_id(pk, errors.EntryNotFound))
        if entry is None:
            raise errors.EntryNotFound()
        return Response(_entry_rendered(entry))

    @extend_schema(
        operation_id="waitlist_leave",
        description="Leave the list: the open offer, if any, is withdrawn and its seat "
        "goes to the next person. Leaving an entry no longer in force changes nothing. "
        "Answers the entry as it now is.",
        responses={
            200: EntrySerializer,
            **error_responses(401, 403, 404, 429, s403=ACTING_403, s404=ENTRY_404),
        },
        tags=["waiting list"],
    )
    def delete(self, request: Request, pk: int) -> Response:
        entry = services.waitlist_leave(
            actor=request.user, entry=_checked_id(pk, errors.EntryNotFound)
        )
        return Response(_entry_rendered(entry))


class WaitlistResumeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="waitlist_resume",
        description="A paused entry (two offers left unanswered) waits again, in the place "
        "it had: the person still needs an appointment.",
        request=None,
        responses={
            200: EntrySerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403=ACTING_403,
                s404=ENTRY_404,
                s409="`waitlist_entry_not_paused`",
            ),
        },
        tags=["waiting list"],
    )
    def post(self, request: Request, pk: int) -> Response:
        entry = services.waitlist_entry_resume(
            actor=request.user, entry=_checked_id(pk, errors.EntryNotFound)
        )
        return Response(_entry_rendered(entry))


# --- Offers --------------------------------------------------------------------------------


class OfferListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="offers_list",
        description="The offers the caller may see, newest first, a page at a time: an "
        "applicant their own; a mediator those of their access point's people; an agent "
        "those at their sites; a supervisor all.",
        parameters=[OfferFilterSerializer, *pagination_parameters()],
        responses={200: page_of(OfferSerializer), **error_responses(400, 401, s400=LIST_400)},
        tags=["waiting list"],
    )
    def get(self, request: Request) -> Response:
        query = OfferFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        offers: QuerySet[Offer] = Offer.objects.filter(_visible_offers(request.user))
        if "status" in query.validated_data:
            offers = offers.filter(status=query.validated_data["status"])
        if "applicant" in query.validated_data:
            offers = offers.filter(applicant_id=query.validated_data["applicant"])
        offers = offers.select_related("slot__site", "procedure", "appointment")
        paginator = CursorPage(ordering="-pk")
        page = paginator.paginate_queryset(offers, request)
        return paginator.get_paginated_response(OfferSerializer(page, many=True).data)


class OfferDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="offers_retrieve",
        responses={200: OfferSerializer, **error_responses(401, 404, s404=OFFER_404)},
        tags=["waiting list"],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_offer_rendered(request.user, _checked_id(pk, errors.OfferNotFound)))


class OfferAcceptView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="offers_accept",
        description="Accept the offer: the seat held becomes the person's appointment "
        "(answered as `GET /appointments/<reference>/` shows it; its convocation and "
        "messages follow as for any booking) and the entry leaves the list.",
        request=None,
        responses={
            201: AppointmentSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403="`consent_required` (a mediator without the person's valid consent "
                "for booking), `no_show_cooling`, `account_suspended` (your account was "
                "suspended while the request ran: nothing was booked)",
                s404=OFFER_404,
                s409=f"{ANSWER_409}, `already_booked`, `booking_closed`, `identity_changed`",
            ),
        },
        tags=["waiting list"],
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = services.offer_accept(
            actor=request.user, offer=_checked_id(pk, errors.OfferNotFound), channel=Channel.API
        )
        return Response(rendered(request, appointment), status=status.HTTP_201_CREATED)


class OfferDeclineView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="offers_decline",
        description="Decline the offer: the seat goes to the next person. The first "
        "decline keeps the person's place in the list; a later one sends them to the end "
        "of their group.",
        request=None,
        responses={
            200: OfferSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403=f"{ACTING_403}, `account_suspended` (your account was suspended while "
                "the request ran)",
                s404=OFFER_404,
                s409=ANSWER_409,
            ),
        },
        tags=["waiting list"],
    )
    def post(self, request: Request, pk: int) -> Response:
        offer = services.offer_decline(
            actor=request.user, offer=_checked_id(pk, errors.OfferNotFound)
        )
        return Response(_offer_rendered(request.user, offer.pk))
