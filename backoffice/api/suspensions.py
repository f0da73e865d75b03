"""Suspensions through the API: what the abuse report's account page does
(``backoffice.views.abuse``), for supervisors.

- ``GET /api/v1/agent/suspensions/``: the accounts suspended now, most recent
  first, a page at a time;
- ``POST /api/v1/agent/accounts/<id>/suspend/`` ``{"reason": ...}``: suspend
  the account (``backoffice.abuse.services.account_suspend``: its appointments
  to come cancelled, its entries off the waiting list, the person told);
- ``POST /api/v1/agent/accounts/<id>/lift/``: lift it.

Supervisors only (``accounts.permissions.can_search_audit``, as the page):
anyone else 403 ``supervisors_only`` before anything is read. An account that
does not exist is a 404 ``account_not_found``. The services decide, count the
rate limits (``abuse_suspensions``, per account and client address: the page
and the API spend the same budget) and audit.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import can_search_audit
from backoffice.abuse.selectors import accounts_suspended, accounts_with_suspension
from backoffice.abuse.services import REASON_MAX_LENGTH, account_suspend, account_suspension_lift
from backoffice.errors import AccountNotFound
from core.api import error_responses
from core.pagination import page_of, paginated_response, pagination_parameters
from core.parsing import parse_id


class SuspensionManager(permissions.BasePermission):
    """Supervisors, as on the abuse report's pages."""

    message = _("Only supervisors suspend accounts and lift suspensions.")
    code = "supervisors_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_search_audit(request.user)


class AccountSuspensionSerializer(serializers.Serializer):
    """An account and its suspension, if any."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    suspended = serializers.SerializerMethodField(help_text="Whether it is suspended now.")
    suspended_at = serializers.DateTimeField(allow_null=True)
    suspended_by = serializers.SerializerMethodField(
        help_text="The e-mail address of the supervisor who suspended it; null when it is "
        "not suspended (or that account is gone)."
    )
    reason = serializers.CharField(
        source="suspension_reason", help_text="The reason the person was given; empty if none."
    )
    suspension = serializers.IntegerField(
        allow_null=True,
        help_text="The id of the audit row of its latest suspension: the person quotes "
        "`S-<suspension>` to contest it. Null if it was never suspended.",
    )

    def get_suspended(self, account: User) -> bool:
        return account.suspended_at is not None

    def get_suspended_by(self, account: User) -> str | None:
        if account.suspended_at is None or account.suspended_by is None:
            return None
        return account.suspended_by.email


class SuspendRequestSerializer(serializers.Serializer):
    # Not trimmed nor capped here: the service says what a reason must be
    # (``suspension_reason_invalid``), as on the page.
    reason = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Why (at most {REASON_MAX_LENGTH} characters): the person reads it.",
    )


class SuspensionDoneSerializer(serializers.Serializer):
    account = AccountSuspensionSerializer()
    cancelled = serializers.ListField(
        child=serializers.CharField(),
        help_text="The references of the appointments to come it cancelled.",
    )
    entries_left = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The ids of the waiting-list entries that left the list.",
    )


ACCOUNT_PATH = OpenApiParameter("user_id", int, OpenApiParameter.PATH)
S403 = "`supervisors_only`"
ACTION_403 = (
    f"{S403}, `account_not_suspendable` (your own, a supervisor's or an administrator's "
    "account, or one closed otherwise)"
)


def _account(user_id: int) -> User:
    """The account with its suspension, read afresh; ``AccountNotFound``."""
    user_id = parse_id(user_id)  # past bigint, PostgreSQL would refuse it (a 500)
    account = None if user_id is None else accounts_with_suspension().filter(pk=user_id).first()
    if account is None:
        raise AccountNotFound()
    return account


class SuspensionListView(APIView):
    permission_classes = [permissions.IsAuthenticated, SuspensionManager]

    @extend_schema(
        operation_id="agent_suspensions_list",
        description="The accounts suspended now, most recently suspended first.",
        parameters=pagination_parameters(),
        responses={
            200: page_of(AccountSuspensionSerializer),
            **error_responses(
                400, 401, 403, s400="`invalid`: a malformed `cursor` or `page_size`", s403=S403
            ),
        },
        tags=["agent"],
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request,
            accounts_suspended(),
            AccountSuspensionSerializer,
            ordering=("-suspended_at", "-pk"),
        )


class AccountSuspendView(APIView):
    permission_classes = [permissions.IsAuthenticated, SuspensionManager]

    @extend_schema(
        operation_id="agent_account_suspend",
        description="Suspend the account: no login nor token any more, its appointments "
        "to come cancelled (their seats go the ordinary way), its waiting-list entries off "
        "the list, the person told with the reason and how to contest. Counted with the "
        "abuse report's suspensions, per account and address.",
        parameters=[ACCOUNT_PATH],
        request=SuspendRequestSerializer,
        responses={
            200: SuspensionDoneSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                429,
                s400="`invalid` (no `reason`), `suspension_reason_invalid` (empty, or longer "
                f"than {REASON_MAX_LENGTH} characters), `parse_error`",
                s403=ACTION_403,
                s404="`account_not_found`",
                s409="`account_already_suspended`",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request, user_id: int) -> Response:
        account = _account(user_id)
        body = SuspendRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = account_suspend(
            actor=request.user, user=account, reason=body.validated_data["reason"]
        )
        account.suspension = done.event_id
        return Response(
            SuspensionDoneSerializer(
                {"account": account, "cancelled": done.cancelled, "entries_left": done.entries_left}
            ).data
        )


class AccountLiftView(APIView):
    permission_classes = [permissions.IsAuthenticated, SuspensionManager]

    @extend_schema(
        operation_id="agent_account_lift",
        description="Lift the account's suspension: it may log in again (what was "
        "cancelled does not come back); the person is told. Counted with the suspensions.",
        parameters=[ACCOUNT_PATH],
        request=None,
        responses={
            200: AccountSuspensionSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403=ACTION_403,
                s404="`account_not_found`",
                s409="`account_not_suspended`",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request, user_id: int) -> Response:
        account = _account(user_id)
        lifted = account_suspension_lift(actor=request.user, user=account)
        lifted.suspension = account.suspension
        return Response(AccountSuspensionSerializer(lifted).data)
