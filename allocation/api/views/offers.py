"""``/api/v1/offers/``: the offers one may see, and their answers (accept,
decline), counted in the rate-limit scope ``booking``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation import errors, services
from allocation.api.serializers import OfferFilterSerializer, OfferSerializer
from allocation.api.views.common import (
    ACTING_403,
    ANSWER_409,
    LIST_400,
    OFFER_404,
    checked_id,
    offer_rendered,
    visible_offers,
)
from allocation.models import Offer
from booking.api.serializers import AppointmentSerializer
from booking.api.views.common import rendered
from booking.models import Channel
from core.api import error_responses
from core.pagination import CursorPage, page_of, pagination_parameters

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
        offers: QuerySet[Offer] = Offer.objects.filter(visible_offers(request.user))
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
        return Response(offer_rendered(request.user, checked_id(pk, errors.OfferNotFound)))


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
            actor=request.user, offer=checked_id(pk, errors.OfferNotFound), channel=Channel.API
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
            actor=request.user, offer=checked_id(pk, errors.OfferNotFound)
        )
        return Response(offer_rendered(request.user, offer.pk))
