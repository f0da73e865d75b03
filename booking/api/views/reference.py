"""Reference data: the active sites and procedures."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking.api.serializers import (
    ProcedureSerializer,
    SiteSerializer,
)
from booking.api.views.common import (
    LIST_400,
)
from booking.models import Procedure, Site
from core.api import error_responses
from core.pagination import page_of, paginated_response, pagination_parameters

# --- Reference data ----------------------------------------------------------------


class SiteListView(APIView):
    @extend_schema(
        operation_id="sites_list",
        parameters=pagination_parameters(),
        responses={200: page_of(SiteSerializer), **error_responses(400, 401, s400=LIST_400)},
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        sites = Site.objects.filter(is_active=True)
        return paginated_response(request, sites, SiteSerializer, ordering=("name", "pk"))


class ProcedureListView(APIView):
    @extend_schema(
        operation_id="procedures_list",
        parameters=pagination_parameters(),
        responses={
            200: page_of(ProcedureSerializer),
            **error_responses(400, 401, s400=LIST_400),
        },
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        procedures = Procedure.objects.filter(is_active=True)
        return paginated_response(request, procedures, ProcedureSerializer, ordering=("name", "pk"))
