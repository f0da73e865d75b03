"""``GET /api/v1/agent/people/``: an agent finds a person's id (to book for
them, to record a court order: ``POST /api/v1/agent/injunctions/``).

The same search as the agents' page (``backoffice.people_selectors``), by
what the person at the counter holds: a booking reference, a document number
with the date of birth, or the surname with the date of birth. Among the
people with an appointment at the agent's sites (supervisors: everyone); a
person the agent may not see is not found, exactly like one who does not exist
(an empty page). Agents and supervisors only (403 ``agents_only``); counted
with the page's searches (``RATELIMITS["agent_search"]``, per account and
client address); a page at a time.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from backoffice.people_selectors import (
    people_with_document,
    people_with_name,
    people_with_reference,
)
from booking.identity import normalize_document_number, normalize_name
from booking.models import REFERENCE_LENGTH, reference_parse
from core.api import QuerySerializer, error_responses
from core.pagination import page_of, paginated_response, pagination_parameters


class PeopleSearcher(permissions.BasePermission):
    """Agents and supervisors; whom they find is the selectors' call."""

    message = _("Only prefecture agents search for people.")
    code = "agents_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role in (Role.AGENT, Role.SUPERVISOR)


class PeopleQuerySerializer(QuerySerializer):
    """One of three searches: ``reference``; ``document_number`` and
    ``birth_date``; ``surname`` and ``birth_date``. Never a surname alone."""

    reference = serializers.CharField(
        required=False,
        max_length=REFERENCE_LENGTH + 8,
        help_text="A booking reference (8 letters and digits), of an appointment at your sites.",
    )
    document_number = serializers.CharField(
        required=False,
        max_length=40,
        help_text="The document number (foreigner number or passport), as on the document; "
        "compared after normalisation. With `birth_date`.",
    )
    surname = serializers.CharField(
        required=False,
        max_length=150,
        help_text="The surname, as on the document; compared after normalisation. "
        "With `birth_date`.",
    )
    birth_date = serializers.DateField(required=False, help_text="The person's date of birth.")

    def validate_reference(self, value: str) -> str:
        parsed = reference_parse("".join(value.split()))
        if parsed is None:
            raise serializers.ValidationError(
                _("A reference has 8 letters and digits, for example K7QM2XPA.")
            )
        return parsed

    def validate_document_number(self, value: str) -> str:
        number = normalize_document_number(value)
        if not number:
            raise serializers.ValidationError(_("Enter the number in Latin letters and digits."))
        return number

    def validate_surname(self, value: str) -> str:
        if not normalize_name(value):
            raise serializers.ValidationError(
                _("Enter the surname in Latin letters, as on the document.")
            )
        return value

    def validate(self, data: dict) -> dict:
        by = [key for key in ("reference", "document_number", "surname") if key in data]
        if len(by) != 1:
            raise serializers.ValidationError(
                _("Search by one of: reference; document number; surname.")
            )
        if by[0] == "reference" and "birth_date" in data:
            raise serializers.ValidationError(
                {"birth_date": [_("A search by reference takes no date of birth.")]}
            )
        if by[0] != "reference" and "birth_date" not in data:
            raise serializers.ValidationError({"birth_date": [_("Enter the date of birth too.")]})
        return data


class AgentPersonSerializer(serializers.Serializer):
    """A person as an agent finds them: the id to book for them or to record a
    court order, and the identity to check with the person."""

    id = serializers.IntegerField()
    surname = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField()
    nationality = serializers.CharField()
    document_type = serializers.CharField()
    document_number = serializers.CharField()
    has_account = serializers.SerializerMethodField(
        help_text="Whether the person has an account (they may also book themselves)."
    )

    def get_has_account(self, applicant) -> bool:
        return applicant.user_id is not None


class AgentPeopleView(APIView):
    permission_classes = [permissions.IsAuthenticated, PeopleSearcher]
    throttle_scope = "agent_search"

    @extend_schema(
        operation_id="agent_people_find",
        description="Find a person among the people with an appointment at your sites "
        "(supervisors: everyone), by what they hold: `reference`, or `document_number` "
        "and `birth_date`, or `surname` and `birth_date` (never a surname alone). "
        "Nobody found, or only people of other sites: an empty page. Counted with the "
        "search page's searches, per account and address.",
        parameters=[PeopleQuerySerializer, *pagination_parameters()],
        responses={
            200: page_of(AgentPersonSerializer),
            **error_responses(
                400,
                401,
                403,
                429,
                s400="`invalid`: no search, two searches, an empty or malformed parameter, "
                "a missing `birth_date`, a malformed `cursor` or `page_size`",
                s403="`agents_only`",
            ),
        },
        tags=["agent"],
    )
    def get(self, request: Request) -> Response:
        query = PeopleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "reference" in data:
            people = people_with_reference(actor=request.user, reference=data["reference"])
        elif "document_number" in data:
            people = people_with_document(
                actor=request.user,
                document_number=data["document_number"],
                birth_date=data["birth_date"],
            )
        else:
            people = people_with_name(
                actor=request.user, surname=data["surname"], birth_date=data["birth_date"]
            )
        return paginated_response(request, people, AgentPersonSerializer, ordering="pk")
