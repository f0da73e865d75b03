"""Agents: closing a site's slots, and lifting a closure (``booking.services.closures``).

Same authentication and role as ``agent/publications/``; a site or closure of
a site the agent does not work at answers 404 exactly like one that does not
exist. A preview (``"preview": true`` in the body) says what a closure would
take and writes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import errors, services
from booking.api.views.common import LIST_400, Publisher
from booking.models import Closure, ClosureKind, Procedure, Site
from booking.permissions import managed_sites
from booking.services.closures import REASON_MAX_LENGTH
from core.api import QuerySerializer, error_responses
from core.pagination import page_of, paginated_response, pagination_parameters


class ClosureSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    procedure = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)
    lifted_by = serializers.EmailField(source="lifted_by.email", read_only=True, default=None)

    class Meta:
        model = Closure
        fields = [
            "id",
            "site",
            "procedure",
            "starts_at",
            "ends_at",
            "kind",
            "reason",
            "slots_closed",
            "appointments_cancelled",
            "created_by",
            "created_at",
            "lifted_at",
            "lifted_by",
        ]
        read_only_fields = fields


class ClosureRequestSerializer(serializers.Serializer):
    site = serializers.SlugField(help_text="Site slug (one of yours).")
    procedure = serializers.SlugField(
        required=False, allow_null=True, help_text="Procedure slug; absent or null: every one."
    )
    starts_at = serializers.DateTimeField(help_text="Slots starting from this moment...")
    ends_at = serializers.DateTimeField(help_text="...and before this one (at most 92 days).")
    kind = serializers.ChoiceField(choices=ClosureKind.choices)
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH,
        help_text="Sent to each person whose appointment is cancelled.",
    )
    preview = serializers.BooleanField(
        default=False, help_text="true: only count what it would take; nothing is written."
    )

    def validate_procedure(self, value: str | None) -> Procedure | None:
        if value is None:
            return None
        procedure = Procedure.objects.filter(slug=value).first()
        if procedure is None:
            raise serializers.ValidationError(_("Unknown procedure: %(slug)s.") % {"slug": value})
        return procedure


class ClosurePreviewSerializer(serializers.Serializer):
    slots = serializers.IntegerField()
    appointments = serializers.IntegerField()
    procedures = serializers.IntegerField()


class ClosureFilterSerializer(QuerySerializer):
    site = serializers.SlugField(required=False, help_text="Only this site's closures.")


def _visible(request: Request):
    return Closure.objects.filter(
        site__in=Site.objects.filter(managed_sites(request.user))
    ).select_related("site", "procedure", "created_by", "lifted_by")


class ClosureListView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "closures"  # the writes only (reads are not counted)

    @extend_schema(
        operation_id="agent_closures_list",
        description="The closures of your sites (supervisors: all), newest first.",
        parameters=[ClosureFilterSerializer, *pagination_parameters()],
        responses={
            200: page_of(ClosureSerializer),
            **error_responses(400, 401, 403, s400=LIST_400, s403="`agents_only`"),
        },
        tags=["agent"],
    )
    def get(self, request: Request) -> Response:
        query = ClosureFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        closures = _visible(request)
        if site := query.validated_data.get("site"):
            closures = closures.filter(site__slug=site)
        return paginated_response(request, closures, ClosureSerializer, ordering="-pk")

    @extend_schema(
        operation_id="agent_closures_create",
        description="Close the site's slots (of one procedure, or all) starting in "
        "[starts_at, ends_at): their appointments are cancelled, each person is told "
        "(SMS and e-mail, with the reason) and gets a priority right for the procedure. "
        "The same range closed again is the same closure (201, nothing more done). "
        '`"preview": true`: 200 with the counts, nothing written.',
        request=ClosureRequestSerializer,
        responses={
            200: ClosurePreviewSerializer,
            201: ClosureSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                415,
                429,
                s400="`invalid` (a malformed field, an unknown procedure), "
                "`closure_range_invalid`, `closure_reason_missing`",
                s403="`agents_only`",
                s404="`site_not_found` (also a site that is not yours)",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request) -> Response:
        body = ClosureRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        site = Site.objects.filter(slug=data["site"]).first()
        if site is None:
            raise errors.SiteNotFound()
        where = {
            "actor": request.user,
            "site": site,
            "procedure": data.get("procedure"),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
        }
        if data["preview"]:
            preview = services.closure_preview(**where)
            return Response(ClosurePreviewSerializer(preview).data)
        closure = services.closure_create(**where, kind=data["kind"], reason=data["reason"])
        return Response(ClosureSerializer(closure).data, status=status.HTTP_201_CREATED)


class ClosureLiftView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "closures"

    @extend_schema(
        operation_id="agent_closures_lift",
        description="Open the closure's slots to come again (their capacity back).",
        request=None,
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={
            200: ClosureSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403="`agents_only`",
                s404="`closure_not_found` (also one of a site that is not yours)",
                s409="`closure_already_lifted`",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request, id: int) -> Response:
        closure = _visible(request).filter(pk=id).first()
        if closure is None:
            raise errors.ClosureNotFound()
        closure = services.closure_lift(actor=request.user, closure=closure)
        return Response(ClosureSerializer(closure).data)
