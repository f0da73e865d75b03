"""Agents at the counter: the day's list of a site, check-in, done, no-shows.

Agents and supervisors with their token (issued after the second factor, as for
``agent/publications/``); a site or an appointment the agent does not serve
answers 404 exactly like one that does not exist. The services decide, lock
and audit (``booking.services.counter``).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from booking import errors, selectors, services
from booking.api.counter_serializers import (
    CheckInSerializer,
    CounterAppointmentSerializer,
    CounterDayFilterSerializer,
    NoShowsResultSerializer,
    NoShowsSerializer,
)
from booking.models import Appointment, Site
from core.api import error_responses
from core.pagination import page_of, paginated_response, pagination_parameters


class CounterStaff(permissions.BasePermission):
    """Agents and supervisors; whether the site is theirs is the service's call."""

    message = _("Only prefecture agents work at the counter.")
    code = "agents_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role in (Role.AGENT, Role.SUPERVISOR)


def _site(request: Request, slug: str) -> Site:
    site = selectors.counter_site(request.user, slug)
    if site is None:
        raise errors.SiteNotFound()
    return site


def _rendered(appointment: Appointment) -> dict:
    fresh = Appointment.objects.select_related("slot__site", "procedure", "access_point").get(
        pk=appointment.pk
    )
    return CounterAppointmentSerializer(fresh).data


_S404_APPOINTMENT = "`appointment_not_found` (also one at a site that is not yours)"
_S403 = "`agents_only`"


class CounterDayView(APIView):
    permission_classes = [permissions.IsAuthenticated, CounterStaff]

    @extend_schema(
        operation_id="agent_day_list",
        description="The appointments of one of your sites on a day (default today), "
        "cancelled ones only when `status=cancelled` is asked, a page at a time (by id: "
        "sort by `starts_at` on your side).",
        parameters=[CounterDayFilterSerializer, *pagination_parameters()],
        responses={
            200: page_of(CounterAppointmentSerializer),
            **error_responses(
                400,
                401,
                403,
                404,
                s400="`invalid`: a malformed filter, `cursor` or `page_size`",
                s403=_S403,
                s404="`site_not_found` (also a site that is not yours)",
            ),
        },
        tags=["agent"],
    )
    def get(self, request: Request) -> Response:
        query = CounterDayFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        appointments = selectors.counter_day(
            site=_site(request, data["site"]),
            day=data.get("date") or timezone.localdate(),
            procedure=data.get("procedure"),
            status=data.get("status"),
            channel=data.get("channel"),
        )
        return paginated_response(
            request, appointments, CounterAppointmentSerializer, ordering="pk"
        )


class CheckInView(APIView):
    permission_classes = [permissions.IsAuthenticated, CounterStaff]
    throttle_scope = "counter"

    @extend_schema(
        operation_id="agent_checkins_create",
        description="Check a person in: the reference typed or scanned and the number of "
        "the document they show, compared (normalised) with the identity the appointment "
        "was booked with. Only on the appointment's day. A mismatch changes nothing, is "
        "recorded in the audit trail and answers 409 `document_mismatch`.",
        request=CheckInSerializer,
        responses={
            200: CounterAppointmentSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s403=_S403,
                s404=_S404_APPOINTMENT,
                s409="`document_mismatch`, `already_checked_in`, `not_today`, "
                "`appointment_not_active`",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request) -> Response:
        body = CheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appointment = services.appointment_check_in(
            actor=request.user,
            reference=body.validated_data["reference"],
            document_number=body.validated_data["document_number"],
        )
        return Response(_rendered(appointment))


class DoneView(APIView):
    permission_classes = [permissions.IsAuthenticated, CounterStaff]
    throttle_scope = "counter"

    @extend_schema(
        operation_id="agent_appointments_done",
        description="The person checked in has been seen: `checked_in` → `done`.",
        request=None,
        responses={
            200: CounterAppointmentSerializer,
            **error_responses(
                401, 403, 404, 409, 429, s403=_S403, s404=_S404_APPOINTMENT, s409="`not_checked_in`"
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request, reference: str) -> Response:
        appointment = services.appointment_done(
            actor=request.user, appointment=Appointment(reference=reference)
        )
        return Response(_rendered(appointment))


class NoShowsView(APIView):
    permission_classes = [permissions.IsAuthenticated, CounterStaff]
    throttle_scope = "counter"

    @extend_schema(
        operation_id="agent_no_shows_create",
        description="Close a site's day: every appointment still booked whose time has "
        "passed becomes `no_show`, in one action, audited once. Calling again marks only "
        "what is left (none: `marked` 0). After repeated no-shows for a procedure a person "
        "may not book it for a while (`no_show_cooling`).",
        request=NoShowsSerializer,
        responses={
            200: NoShowsResultSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                415,
                429,
                s403=_S403,
                s404="`site_not_found` (also a site that is not yours)",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request) -> Response:
        body = NoShowsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        site = _site(request, body.validated_data["site"])
        marked = services.day_no_shows_mark(
            actor=request.user, site=site, day=body.validated_data["date"]
        )
        return Response(NoShowsResultSerializer({"marked": marked}).data)
