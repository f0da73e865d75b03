"""``/api/v1/substitution-requests/``: filing a request (public, no account)
and reading its status (tracking number and date of birth)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking.identity import Identity
from core import ratelimit
from core.antibot import antibot_require
from core.api import error_responses
from core.client import client_address
from substitution import errors, selectors, services
from substitution.api.serializers import (
    StatusQuerySerializer,
    SubstitutionReceiptSerializer,
    SubstitutionRequestCreateSerializer,
    SubstitutionStatusSerializer,
)

_CREATE_400 = (
    "`proof_of_work_required`, `proof_of_work_invalid` (the `Altcha` header: see "
    "`GET /api/v1/challenge/`), `invalid` (see `fields`), `invalid_identity`, `invalid_phone`, "
    "`phone_region_not_allowed`, `contact_missing`, `invalid_substitution_request`"
)


class SubstitutionRequestCreateView(APIView):
    """Public: no credentials, none looked at (a token or a session is ignored)."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)
    throttle_scope = "substitution"  # per client address; the service counts the rest

    @extend_schema(
        operation_id="substitution_requests_create",
        request=SubstitutionRequestCreateSerializer,
        responses={
            201: SubstitutionReceiptSerializer,
            **error_responses(
                400,
                409,
                415,
                429,
                s400=_CREATE_400,
                s409="`document_not_accepted`, `procedure_unavailable`",
                s429="`rate_limited`: per client address, identity document and contact",
            ),
        },
        tags=["substitution"],
        auth=[],
        description=(
            "File a request for an appointment without an account (the substitution "
            "route). The tracking number is in the answer and sent to the phone and "
            "e-mail given."
        ),
    )
    def post(self, request: Request) -> Response:
        antibot_require(request)
        serializer = SubstitutionRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        filed = services.substitution_request_create(
            identity=Identity.from_form(data),
            procedure=data["procedure"],
            site=data.get("site"),
            reason=data["reason"],
            account=data.get("account", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            postal_address=data.get("postal_address", ""),
            language=data.get("language") or request.LANGUAGE_CODE,
        )
        return Response(SubstitutionReceiptSerializer(filed).data, status=status.HTTP_201_CREATED)


class SubstitutionRequestStatusView(APIView):
    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)

    @extend_schema(
        operation_id="substitution_requests_status",
        parameters=[
            StatusQuerySerializer,
            OpenApiParameter("tracking", str, OpenApiParameter.PATH, description="S + 9."),
        ],
        responses={
            200: SubstitutionStatusSerializer,
            **error_responses(
                400,
                404,
                429,
                s404="`substitution_request_not_found`: no request with this tracking "
                "number and date of birth (a wrong pair answers as a missing one)",
            ),
        },
        tags=["substitution"],
        auth=[],
    )
    def get(self, request: Request, tracking: str) -> Response:
        ratelimit.hit("substitution_status", ip=client_address(request))
        query = StatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.request_by_tracking(
            tracking=tracking, birth_date=query.validated_data["birth_date"]
        )
        if found is None:
            raise errors.RequestNotFound()
        return Response(SubstitutionStatusSerializer(found).data)
