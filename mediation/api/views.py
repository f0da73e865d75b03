"""The mediation API: a mediator finds a person by what they hold, registers a
walk-in, records and withdraws consents. Booking for the person goes through
``POST /api/v1/appointments/`` with ``{"slot", "applicant"}``.

Who: mediators attached to an access point (403 ``mediators_only`` for anyone
else), and supervisors for withdrawing a consent. A person the caller may not
see answers exactly as one that does not exist (404 ``applicant_not_found``).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from booking.errors import ApplicantNotFound
from booking.identity import Identity
from booking.models import Applicant
from booking.permissions import visible_applicants
from core.api import error_responses
from core.parsing import parse_id
from mediation import selectors, services
from mediation.api.serializers import (
    ConsentRequestSerializer,
    ConsentSerializer,
    PeopleQuerySerializer,
    PersonSerializer,
    WalkInSerializer,
)
from mediation.errors import ConsentNotFound
from mediation.models import Consent
from mediation.services.people import may_withdraw

PERSON_404 = "`applicant_not_found`: no such person, or not one you may see"


class MediatorsOnly(permissions.BasePermission):
    message = _("Only mediators of an access point may do this.")
    code = "mediators_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return user.role == Role.MEDIATOR and user.access_point_id is not None


class MediatorsOrSupervisors(MediatorsOnly):
    message = _("Only mediators of an access point and supervisors may do this.")
    code = "mediators_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role == Role.SUPERVISOR or super().has_permission(request, view)


def _with_consents(people, access_point_id: int):
    """``people`` (a queryset) with their consents to the point as ``consents_here``."""
    return list(
        people.prefetch_related(
            Prefetch(
                "consents",
                queryset=Consent.objects.filter(access_point_id=access_point_id).order_by(
                    "-given_at", "-pk"
                ),
                to_attr="consents_here",
            )
        )
    )


class PeopleView(APIView):
    permission_classes = [permissions.IsAuthenticated, MediatorsOnly]

    def get_throttles(self):
        # The search is counted (an enumeration of documents); the walk-in's
        # registration as every mediation write.
        self.throttle_scope = "people_find" if self.request.method == "GET" else "mediation"
        return super().get_throttles()

    @extend_schema(
        operation_id="mediation_people_find",
        description="Find a person by their document number and date of birth, both "
        "required and compared exactly (after normalisation): what the person in front "
        "of the mediator holds. Never by name. Usually one person, or none.",
        parameters=[PeopleQuerySerializer],
        responses={
            200: PersonSerializer(many=True),
            **error_responses(
                400,
                401,
                403,
                429,
                s400="`invalid`: a missing or malformed `document_number` or `birth_date`",
                s403="`mediators_only`",
            ),
        },
        tags=["mediation"],
    )
    def get(self, request: Request) -> Response:
        query = PeopleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.people_find(
            actor=request.user,
            document_number=query.validated_data["document_number"],
            birth_date=query.validated_data["birth_date"],
        )
        people = _with_consents(
            Applicant.objects.filter(pk__in=[person.pk for person in found]).order_by("pk"),
            request.user.access_point_id,
        )
        return Response(PersonSerializer(people, many=True).data)

    @extend_schema(
        operation_id="mediation_walk_in_register",
        description="Register a walk-in (no account) at the caller's access point, with "
        "the same identity rules as online. An identity already on file is not created "
        "twice (409 `identity_taken`): find the person instead.",
        request=WalkInSerializer,
        responses={
            201: PersonSerializer,
            **error_responses(
                400,
                401,
                403,
                409,
                415,
                429,
                s400="`invalid`, `invalid_identity`, `invalid_phone`",
                s403="`mediators_only`",
                s409="`identity_taken`",
            ),
        },
        tags=["mediation"],
    )
    def post(self, request: Request) -> Response:
        body = WalkInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        applicant = services.walk_in_register(
            actor=request.user,
            identity=Identity(
                surname=data["surname"],
                given_names=data["given_names"],
                birth_date=data["birth_date"],
                nationality=data["nationality"].upper(),
                document_type=data["document_type"],
                document_number=data["document_number"],
            ),
            phone=data["phone"],
            email=data["email"],
            language=data["language"],
        )
        applicant.consents_here = []
        return Response(PersonSerializer(applicant).data, status=status.HTTP_201_CREATED)


def _person_for_consent(request: Request, applicant_id, body: dict) -> Applicant:
    """The person: one of the point's people, or one found now by the document
    number and date of birth sent with the consent. Else the 404 of a missing id."""
    pk = parse_id(applicant_id)
    if pk is None:
        raise ApplicantNotFound()
    person = Applicant.objects.filter(visible_applicants(request.user), pk=pk).first()
    if person is None and body.get("document_number") and body.get("birth_date"):
        found = selectors.people_find(
            actor=request.user,
            document_number=body["document_number"],
            birth_date=body["birth_date"],
        )
        person = next((candidate for candidate in found if candidate.pk == pk), None)
    if person is None:
        raise ApplicantNotFound()
    return person


class ConsentCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated, MediatorsOnly]
    throttle_scope = "mediation"

    @extend_schema(
        operation_id="mediation_consent_give",
        description="Record the person's consent to the caller's access point: who gave "
        "it (the person or a representative, named), how (orally, in writing), for what "
        "(booking, waiting list, contact by SMS or e-mail), until when. A person who is "
        "not yet one of the point's people is named with their `document_number` and "
        "`birth_date` too.",
        request=ConsentRequestSerializer,
        responses={
            201: ConsentSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                415,
                429,
                s400="`invalid`, `invalid_consent`",
                s403="`mediators_only`",
                s404=PERSON_404,
            ),
        },
        tags=["mediation"],
    )
    def post(self, request: Request, applicant_id: str) -> Response:
        body = ConsentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = _person_for_consent(request, applicant_id, data)
        consent = services.consent_give(
            actor=request.user,
            applicant=person,
            given_by=data["given_by"],
            given_by_name=data["given_by_name"],
            method=data["method"],
            purposes=data["purposes"],
            valid_until=data["valid_until"],
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class ConsentWithdrawView(APIView):
    permission_classes = [permissions.IsAuthenticated, MediatorsOrSupervisors]
    throttle_scope = "mediation"

    @extend_schema(
        operation_id="mediation_consent_withdraw",
        description="Withdraw a consent now (a mediator of its access point, or a "
        "supervisor): the next action under it is refused. The record stays, withdrawn.",
        request=None,
        responses={
            200: ConsentSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403="`mediators_only`",
                s404="`consent_not_found`: no such consent of this person, or not yours",
                s409="`consent_not_active`: withdrawn already",
            ),
        },
        tags=["mediation"],
    )
    def delete(self, request: Request, applicant_id: str, consent_id: str) -> Response:
        person_pk, consent_pk = parse_id(applicant_id), parse_id(consent_id)
        consent = (
            Consent.objects.filter(pk=consent_pk, applicant_id=person_pk).first()
            if person_pk is not None and consent_pk is not None
            else None
        )
        if consent is None or not may_withdraw(request.user, consent):
            raise ConsentNotFound()
        withdrawn = services.consent_withdraw(actor=request.user, consent=consent)
        return Response(ConsentSerializer(withdrawn).data)
