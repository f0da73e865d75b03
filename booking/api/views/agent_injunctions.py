"""Agents: court-ordered convocations (``/api/v1/agent/injunctions/``).

The same services and selectors as the pages (``booking.services.injunctions``,
``booking.injunctions``), the same authentication as ``agent/publications/``
(session or token; agents and supervisors only). An order of another site
answers 404 ``injunction_not_found``, exactly as one that does not exist.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from booking import errors
from booking import injunctions as selectors
from booking.api.serializers import SlotChoiceSerializer
from booking.api.views.common import BOOKING_409, slot_choice
from booking.models import Applicant, Injunction, InjunctionState, Procedure, Site
from booking.models.injunctions import CASE_NUMBER_MAX, COURT_MAX, NOTES_MAX
from booking.permissions import addressable_applicants, managed_sites
from booking.services import injunction_convoke, injunction_record
from core.api import QuerySerializer, error_responses
from core.pagination import page_of, paginated_response, pagination_parameters
from core.parsing import MAX_ID

# --- Permission --------------------------------------------------------------------


class InjunctionHandler(permissions.BasePermission):
    """Agents and supervisors; which orders are theirs is the selectors' call."""

    message = _("Only prefecture agents handle court orders.")
    code = "agents_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role in (Role.AGENT, Role.SUPERVISOR)


# --- Serializers ---------------------------------------------------------------------


class InjunctionPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    surname = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField()


class InjunctionAppointmentSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    site = serializers.SlugField(source="slot.site.slug")
    pool = serializers.CharField(source="slot.pool")


class InjunctionSerializer(serializers.Serializer):
    """A court-ordered convocation and its state (computed when read)."""

    id = serializers.IntegerField()
    court = serializers.CharField()
    case_number = serializers.CharField()
    ordered_on = serializers.DateField()
    deadline = serializers.DateField(
        help_text="The last day (local) on which the appointment may take place."
    )
    state = serializers.SerializerMethodField(
        help_text="`overdue`, `at_risk`, `open` (not served yet), `late` or `in_time` (served)."
    )
    applicant = InjunctionPersonSerializer()
    procedure = serializers.SlugField(source="procedure.slug")
    site = serializers.SlugField(source="site.slug")
    notes = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    appointment = serializers.SerializerMethodField()
    convoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField())
    def get_state(self, injunction: Injunction) -> str:
        value = getattr(injunction, "state_value", None)
        return value or selectors.injunction_state(injunction, now=self.context.get("now"))

    @extend_schema_field(InjunctionAppointmentSerializer(allow_null=True))
    def get_appointment(self, injunction: Injunction) -> dict | None:
        if injunction.appointment_id is None:
            return None
        return InjunctionAppointmentSerializer(injunction.appointment).data


class InjunctionFilterSerializer(QuerySerializer):
    state = serializers.ChoiceField(
        choices=[*InjunctionState.values, "not_served"],
        required=False,
        help_text="One state, or `not_served` (overdue, at risk and open).",
    )
    site = serializers.SlugField(
        required=False, max_length=50, help_text="One of your sites (its slug)."
    )


class InjunctionCreateSerializer(serializers.Serializer):
    applicant = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The person's id (an identity on file)."
    )
    court = serializers.CharField(max_length=COURT_MAX)
    case_number = serializers.CharField(max_length=CASE_NUMBER_MAX)
    ordered_on = serializers.DateField()
    deadline = serializers.DateField()
    procedure = serializers.SlugField(max_length=50, help_text="Procedure slug.")
    site = serializers.SlugField(max_length=50, help_text="One of your sites (its slug).")
    notes = serializers.CharField(max_length=NOTES_MAX, required=False, allow_blank=True)

    def validate_procedure(self, value: str) -> Procedure:
        procedure = Procedure.objects.filter(slug=value).first()
        if procedure is None:
            raise serializers.ValidationError(_("Unknown procedure: %(slug)s.") % {"slug": value})
        return procedure

    def validate_site(self, value: str) -> Site:
        site = Site.objects.filter(slug=value).first()
        if site is None:
            raise serializers.ValidationError(_("Unknown site: %(slugs)s.") % {"slugs": value})
        return site


def _one(request: Request, pk: int) -> Injunction:
    found = selectors.injunction_for_staff(user=request.user, pk=pk)
    if found is None:
        raise errors.InjunctionNotFound()
    return found


_ID = OpenApiParameter("injunction_id", int, OpenApiParameter.PATH, description="The order's id.")
_404 = "`injunction_not_found`: none with this id at your sites"


# --- Views ----------------------------------------------------------------------------


class InjunctionListView(APIView):
    permission_classes = [permissions.IsAuthenticated, InjunctionHandler]
    throttle_scope = "injunctions"

    @extend_schema(
        operation_id="agent_injunctions_list",
        description="The court-ordered convocations of your sites (supervisors: all), "
        "most recently recorded first, with their state; filter by `state` and `site`.",
        parameters=[InjunctionFilterSerializer, *pagination_parameters()],
        responses={
            200: page_of(InjunctionSerializer),
            **error_responses(
                400, 401, 403, s400="`invalid`: a malformed filter, `cursor` or `page_size`"
            ),
        },
        tags=["agent"],
    )
    def get(self, request: Request) -> Response:
        query = InjunctionFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        site = None
        if "site" in query.validated_data:
            site = (
                Site.objects.filter(managed_sites(request.user))
                .filter(slug=query.validated_data["site"])
                .first()
            )
            if site is None:  # not one of theirs: nothing, as for a site with no order
                return paginated_response(
                    request, Injunction.objects.none(), InjunctionSerializer, ordering="-pk"
                )
        rows = selectors.injunctions_for(
            user=request.user, state=query.validated_data.get("state"), site=site
        )
        return paginated_response(request, rows, InjunctionSerializer, ordering="-pk")

    @extend_schema(
        operation_id="agent_injunctions_create",
        description="Record an order of the administrative court to convoke a person "
        "(`applicant`, an identity on file) for a procedure by a deadline, served at one of "
        "your sites. Then book it: `POST …/{id}/convocation/`.",
        request=InjunctionCreateSerializer,
        responses={
            201: InjunctionSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s400="`invalid` (see `fields`), `invalid_injunction` (a deadline before the "
                "order, an order dated in the future, a site that is not yours...)",
                s403="`agents_only`",
                s404="`applicant_not_found`",
                s409="`injunction_already_recorded`, `procedure_unavailable`",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request) -> Response:
        body = InjunctionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = (
            Applicant.objects.filter(addressable_applicants(request.user))
            .filter(pk=data["applicant"])
            .first()
        )
        if person is None:
            raise errors.ApplicantNotFound()
        recorded = injunction_record(
            actor=request.user,
            applicant=person,
            court=data["court"],
            case_number=data["case_number"],
            ordered_on=data["ordered_on"],
            deadline=data["deadline"],
            procedure=data["procedure"],
            site=data["site"],
            notes=data.get("notes", ""),
        )
        fresh = _one(request, recorded.pk)
        return Response(InjunctionSerializer(fresh).data, status=status.HTTP_201_CREATED)


class InjunctionDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, InjunctionHandler]

    @extend_schema(
        operation_id="agent_injunctions_read",
        parameters=[_ID],
        responses={200: InjunctionSerializer, **error_responses(401, 403, 404, s404=_404)},
        tags=["agent"],
    )
    def get(self, request: Request, injunction_id: int) -> Response:
        return Response(InjunctionSerializer(_one(request, injunction_id)).data)


class InjunctionConvocationView(APIView):
    permission_classes = [permissions.IsAuthenticated, InjunctionHandler]
    throttle_scope = "injunctions"

    @extend_schema(
        operation_id="agent_injunctions_convoke",
        description="Serve the order: book its person on `slot` (its procedure, at one of "
        "your sites, priority capacity or any pool you may book) on or before the deadline's "
        "day; once the deadline has passed, any time (the order then reads `late`). The "
        "person is told by the channels they have; the convocation is "
        "`GET /appointments/{reference}/convocation.pdf`.",
        parameters=[_ID],
        request=SlotChoiceSerializer,
        responses={
            201: InjunctionSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s403="`agents_only`, `not_allowed`",
                s404=f"{_404}, `slot_not_found`",
                s409=f"`slot_after_deadline`, `injunction_already_served`, {BOOKING_409}",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request, injunction_id: int) -> Response:
        found = _one(request, injunction_id)
        slot_id = slot_choice(request.data)
        injunction_convoke(actor=request.user, injunction=found, slot_id=slot_id)
        fresh = _one(request, found.pk)
        return Response(
            InjunctionSerializer(fresh, context={"now": timezone.now()}).data,
            status=status.HTTP_201_CREATED,
        )


__all__ = [
    "InjunctionConvocationView",
    "InjunctionDetailView",
    "InjunctionListView",
]
