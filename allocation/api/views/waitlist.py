"""``/api/v1/waitlist/``: joining, one's entries, leaving and resuming.

Joining creates a record: it is counted in the rate-limit scope
``waitlist_join`` (per account and per client address); leaving and resuming
in ``booking``. The whole of a join is one function, ``waitlist_join_request``,
the one place a check before joining (the proof-of-work) goes; a join by
token reads first what ``allocation.api.hotpath`` reads.
"""

from __future__ import annotations

from functools import cache

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from allocation import errors, selectors, services
from allocation.api import hotpath
from allocation.api.serializers import (
    EntryListQuerySerializer,
    EntrySerializer,
    WaitlistChangeSerializer,
    WaitlistJoinSerializer,
    joined_data,
)
from allocation.api.views.common import (
    ACTING_403,
    CHANGE_400,
    ENTRY_404,
    JOIN_400,
    JOIN_403,
    JOIN_409,
    LIST_400,
    PERSON_404,
    checked_id,
    entry_rendered,
    person_acted_for,
    site_slugs_of,
    visible_entries,
)
from allocation.models import ENTRY_IN_FORCE, WaitlistEntry
from booking import errors as booking_errors
from booking.models import Applicant, Channel
from core.antibot import antibot_require
from core.api import error_responses
from core.pagination import CursorPage, page_of, pagination_parameters

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
    applicant = person_acted_for(request, data.get("applicant"))
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


# An id no entry has: an entry's address is reversed around it once.
_ANY_ID = 918_273_645


@cache
def _entry_address_around(script_prefix: str) -> tuple[str, str]:
    head, _id, tail = reverse("api:waitlist-entry", args=[_ANY_ID]).rpartition(str(_ANY_ID))
    return head, tail


def entry_address(pk: int) -> str:
    """``reverse("api:waitlist-entry", args=[pk])``, reversed once per script
    prefix: a ``reverse`` costs some 80 µs, a tenth of a join's CPU in the app."""
    head, tail = _entry_address_around(get_script_prefix())
    return f"{head}{pk}{tail}"


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
            person = person_acted_for(request, named)
            entries = WaitlistEntry.objects.filter(applicant=person).filter(
                visible_entries(request.user)
            )
        entries = entries.filter(status__in=ENTRY_IN_FORCE).select_related("procedure", "applicant")
        paginator = CursorPage(ordering="pk")
        page = paginator.paginate_queryset(entries, request)
        views = [selectors.entry_view(entry) for entry in page]
        rows = EntrySerializer(views, many=True, context={"sites": site_slugs_of(page)}).data
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
        "header, `GET /waitlist/<id>/`) for them. An applicant sends the solution of a "
        "proof-of-work challenge in the `Altcha` header (`GET /api/v1/challenge/`; 400 "
        "`proof_of_work_required` or `proof_of_work_invalid` without a valid one); staff do "
        "not.",
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
        return Response(
            joined_data(entry, site_slugs),
            status=status.HTTP_201_CREATED,
            headers={"Location": entry_address(entry.pk)},
        )


class WaitlistEntryView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"  # leaving, changing (reading is not counted)

    @extend_schema(
        operation_id="waitlist_retrieve",
        description="One entry (in force or not) with its place, estimate and open offer.",
        responses={200: EntrySerializer, **error_responses(401, 404, s404=ENTRY_404)},
        tags=["waiting list"],
    )
    def get(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_for(request.user, checked_id(pk, errors.EntryNotFound))
        if entry is None:
            raise errors.EntryNotFound()
        return Response(entry_rendered(entry))

    @extend_schema(
        operation_id="waitlist_change",
        description="Change the places the person can reach and the days they cannot "
        "come, keeping their place in the list (the moment they joined and their group "
        "stay). What is not sent stays. An open offer the new choice no longer fits is "
        "withdrawn and its time goes to the next person. Staff: at every site the entry "
        "lists and every site it will list (a mediator with the person's consent). "
        "Counted in the rate limit `booking`. Answers the entry as it now is.",
        request=WaitlistChangeSerializer,
        responses={
            200: EntrySerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s400=CHANGE_400,
                s403=f"{ACTING_403}, `not_allowed` (staff: a site not yours)",
                s404=ENTRY_404,
                s409="`not_given_out_by_list` (none of the sites chosen gives the procedure "
                "out by its waiting list)",
            ),
        },
        tags=["waiting list"],
    )
    def patch(self, request: Request, pk: int) -> Response:
        entry_id = checked_id(pk, errors.EntryNotFound)
        body = WaitlistChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.waitlist_entry_change(
            actor=request.user,
            entry=entry_id,
            site_ids=body.validated_data.get("sites"),
            weekdays_excluded=body.validated_data.get("weekdays_excluded"),
        )
        return Response(entry_rendered(entry))

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
            actor=request.user, entry=checked_id(pk, errors.EntryNotFound)
        )
        return Response(entry_rendered(entry))


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
            actor=request.user, entry=checked_id(pk, errors.EntryNotFound)
        )
        return Response(entry_rendered(entry))
