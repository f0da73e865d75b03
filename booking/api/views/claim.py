"""An applicant's account takes over the file a mediator or an agent registered
for them (a walk-in): ``booking.services.applicant_claim``, as the page does."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from booking import selectors, services
from booking.api.claim_serializers import IdentityClaimResultSerializer, IdentityClaimSerializer
from core.api import error_responses
from core.client import client_address


class ApplicantsOnly(permissions.BasePermission):
    message = _("Only an applicant's account takes over a file, for itself.")
    code = "applicants_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role == Role.APPLICANT


class IdentityClaimView(APIView):
    # No throttle_scope: the service counts every try itself (``identity_claim``),
    # the page's and the API's alike.
    permission_classes = [permissions.IsAuthenticated, ApplicantsOnly]

    @extend_schema(
        operation_id="identity_claim",
        description="Take over a file registered at an access point or the prefecture "
        "(a walk-in without an account) with the reference of one of its appointments, "
        "the date of birth and the document number on file. The file becomes the "
        "caller's identity, with its appointments; no second identity is created. "
        "The account must have confirmed its e-mail address and phone, and have no "
        "identity yet. A reference that does not exist, a file that is someone else's "
        "or has an account, and a date of birth or document number that does not "
        "match are one and the same refusal; every try counts against a rate limit.",
        request=IdentityClaimSerializer,
        responses={
            200: IdentityClaimResultSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s403="`applicants_only`, `account_not_verified`",
                s404="`identity_claim_refused`",
                s409="`identity_already_on_file`",
            ),
        },
        tags=["identity"],
    )
    def post(self, request: Request) -> Response:
        proof = IdentityClaimSerializer(data=request.data)
        proof.is_valid(raise_exception=True)
        record = services.applicant_claim(
            actor=request.user,
            reference=proof.validated_data["reference"],
            birth_date=proof.validated_data["birth_date"],
            document_number=proof.validated_data["document_number"],
            ip=client_address(request),
        )
        appointments = selectors.appointments_for(request.user).filter(applicant=record)
        result = IdentityClaimResultSerializer({"identity": record, "appointments": appointments})
        return Response(result.data)
