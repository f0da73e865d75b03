"""Obtaining an API token. Listing and revoking tokens come in a later issue."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import CredentialsSerializer, TokenSerializer
from accounts.services import api_token_create
from core.api import error_responses
from core.errors import InvalidInput


class InvalidCredentials(InvalidInput):
    code = "invalid_credentials"
    default_message = _("The e-mail address or the password is wrong.")


class TokenCreateView(APIView):
    """Exchange an e-mail address and a password for an API token."""

    # No authentication here: a stale token or session must not stand in the way.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(
        operation_id="auth_token_create",
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            **error_responses(
                400,
                415,
                s400="`invalid_credentials` (wrong e-mail or password, or disabled "
                "account; which one is not told), `invalid`, `parse_error`",
            ),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # ModelBackend refuses inactive accounts and hashes a dummy password for
        # unknown ones, so neither is told apart by answer nor by timing.
        user = authenticate(
            request._request,
            email=serializer.validated_data["email"].strip().lower(),
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise InvalidCredentials()
        token, key = api_token_create(user=user)
        return Response(TokenSerializer({"token": key, "expires_at": token.expires_at}).data)
