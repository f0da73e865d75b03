"""API tokens: obtain one (with the second factor when the account has one),
list one's own, revoke one's own."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ApiTokenSerializer, CredentialsSerializer, TokenSerializer
from accounts.errors import InvalidCredentials
from accounts.selectors import api_tokens_of
from accounts.services import api_token_issue, api_token_revoke
from core.api import error_responses
from core.pagination import page_of, paginated_response, pagination_parameters


class TokenCreateView(APIView):
    """Exchange an e-mail address, a password and, for staff accounts and
    applicants who turned two-factor authentication on, a second-factor code
    (`otp`) for an API token."""

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
                403,
                415,
                429,
                s400="`invalid_credentials` (wrong e-mail or password, or disabled "
                "account; which one is not told), `invalid_otp` (wrong, reused or "
                "throttled second-factor code), `invalid`, `parse_error`",
                s403="`otp_required`: this account needs a second-factor code in `otp` "
                "(staff always: one without a confirmed device enrols on the website first)",
            ),
        },
        examples=[
            OpenApiExample(
                "Staff account",
                value={"email": "agent@example.org", "password": "…", "otp": "123456"},
                request_only=True,
            )
        ],
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
        token, key = api_token_issue(user=user, otp=serializer.validated_data.get("otp"))
        return Response(TokenSerializer({"token": key, "expires_at": token.expires_at}).data)


class TokenListView(APIView):
    """The caller's API tokens that still work, newest first (never the keys)."""

    @extend_schema(
        operation_id="auth_tokens_list",
        parameters=pagination_parameters(),
        responses={
            200: page_of(ApiTokenSerializer),
            **error_responses(400, 401, 403, s400="`invalid`: a malformed `cursor` or `page_size`"),
        },
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        # Newest first, as ``api_tokens_of`` orders them; by id alone, unique.
        return paginated_response(
            request,
            api_tokens_of(request.user),
            ApiTokenSerializer,
            ordering="-pk",
            context={"auth": request.auth},
        )


class TokenRevokeView(APIView):
    """Revoke one of the caller's tokens (it may be the one in use). Another
    account's token is `not_found`, as one that does not exist."""

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
        tags=["auth"],
    )
    def delete(self, request: Request, token_id: int) -> Response:
        api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=204)
