"""Request and response shapes of the booking API.

Request serializers only check and convert input; views call the services.
Response serializers only read. None of them saves a domain model.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from booking.models import (
    AppointmentStatus,
    Channel,
    DocumentType,
    Procedure,
    RequiredDocument,
    Site,
)
from booking.services.publications import (
    OpeningRange,
    PublicationParameters,
    publication_parameters,
)
from core.api import QuerySerializer
from core.parsing import MAX_ID

MAX_AVAILABILITY_DAYS = 92


# --- Reference data ----------------------------------------------------------------


class SiteSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    city = serializers.CharField()
    access_info = serializers.CharField(help_text="How to get there.")


class ProcedureSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    documents_to_bring = serializers.ListField(
        child=serializers.CharField(), source="document_list"
    )
    required_document = serializers.ChoiceField(
        choices=RequiredDocument.choices, help_text="Identity document the booking must carry."
    )
    self_booking = serializers.BooleanField(
        help_text="Whether applicants may book it themselves (otherwise staff book it)."
    )
    horizon_days = serializers.IntegerField(help_text="How many days ahead one may book.")
    cutoff_hours = serializers.IntegerField(
        help_text="Booking and cancelling close this many hours before the appointment."
    )


# --- Availability ------------------------------------------------------------------


class AvailabilityQuerySerializer(serializers.Serializer):
    procedure = serializers.SlugField()
    site = serializers.ListField(child=serializers.SlugField(), required=False, max_length=50)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate_procedure(self, value: str) -> Procedure:
        # With its horizon: availability asks for it (booking.rules.horizon_end).
        procedure = (
            Procedure.objects.select_related("horizon").filter(slug=value, is_active=True).first()
        )
        if procedure is None:
            raise serializers.ValidationError(_("Unknown procedure: %(slug)s.") % {"slug": value})
        return procedure

    def validate_site(self, value: list[str]) -> list[Site]:
        if not value:
            return []
        wanted = set(value)
        sites = list(Site.objects.filter(slug__in=wanted, is_active=True).only("pk", "slug"))
        unknown = sorted(wanted - {site.slug for site in sites})
        if unknown:
            raise serializers.ValidationError(
                _("Unknown site: %(slugs)s.") % {"slugs": ", ".join(unknown)}
            )
        return sites

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                raise serializers.ValidationError(
                    {"date_to": _("The end date is before the start date.")}
                )
            if date_to - date_from >= timedelta(days=MAX_AVAILABILITY_DAYS):
                raise serializers.ValidationError(
                    {
                        "date_to": _("Ask for at most %(days)d days at a time.")
                        % {"days": MAX_AVAILABILITY_DAYS}
                    }
                )
        return attrs


class AvailableSlotSerializer(serializers.Serializer):
    """Documents the availability rows; the view builds them from ``values_list``."""

    slot = serializers.IntegerField(help_text="The slot id to book.")
    site = serializers.SlugField()
    procedure = serializers.SlugField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    remaining = serializers.IntegerField(help_text="Seats still free.")


# --- Appointments ------------------------------------------------------------------


class SlotChoiceSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A slot id.")


class BookingRequestSerializer(serializers.Serializer):
    """What ``POST /appointments/`` takes: the slot, and for staff the person."""

    slot = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A slot id.")
    applicant = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The person to book for (an applicant id): required for staff "
        "(mediators: a person of their access point, with their consent; agents: "
        "at their sites; supervisors), optional for an applicant (their own only).",
    )


class AppointmentSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="slot_id")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    site = serializers.SlugField(source="slot.site.slug")
    # The appointment's procedure is its slot's (a reschedule keeps the procedure).
    procedure = serializers.SlugField(source="procedure.slug")


class IdentitySnapshotSerializer(serializers.Serializer):
    """The identity copied onto the appointment at booking; it never changes."""

    surname = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField()
    nationality = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField()


class AppointmentFilterSerializer(QuerySerializer):
    """The filters of the appointments list (query parameters), all optional.

    A site or procedure is matched by slug in the same query: an unknown slug,
    or a site the caller does not see, gives an empty list (no lookup, and no
    telling the two apart). A malformed value is a 400 ``invalid``.
    """

    date_from = serializers.DateField(
        required=False, help_text="First local day of the appointment (its slot's start)."
    )
    date_to = serializers.DateField(required=False, help_text="Last local day, included.")
    site = serializers.SlugField(required=False, max_length=50, help_text="Site slug.")
    procedure = serializers.SlugField(required=False, max_length=50, help_text="Procedure slug.")
    status = serializers.ChoiceField(choices=AppointmentStatus.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to and date_to < date_from:
            raise serializers.ValidationError(
                {"date_to": _("The end date is before the start date.")}
            )
        return attrs


class AppointmentSerializer(serializers.Serializer):
    """Expects appointments from ``booking.selectors.appointments_for`` (slot, site
    and procedure already joined)."""

    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    slot = AppointmentSlotSerializer(source="*")
    applicant = IdentitySnapshotSerializer(source="*")
    channel = serializers.ChoiceField(choices=Channel.choices)
    created_at = serializers.DateTimeField()


# --- Publications ------------------------------------------------------------------


class OpeningRangeSerializer(serializers.Serializer):
    start = serializers.TimeField(help_text='Local time, "09:00".')
    end = serializers.TimeField(help_text='Local time, "12:00".')


class PublicationSerializer(serializers.Serializer):
    """Types only; what makes a publication sensible is checked by
    ``booking.services.slots_publish`` (``invalid_publication``)."""

    site = serializers.SlugField()
    procedure = serializers.SlugField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(), max_length=7, help_text="0 = Monday ... 6 = Sunday."
    )
    opening_ranges = serializers.ListField(child=OpeningRangeSerializer(), max_length=48)
    slot_minutes = serializers.IntegerField(
        required=False, help_text="Defaults to the procedure's duration."
    )
    counters = serializers.IntegerField(help_text="Counters in parallel, reserved ones included.")
    mediation_counters = serializers.IntegerField(required=False, default=0)
    priority_counters = serializers.IntegerField(required=False, default=0)
    visible_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the slots appear; default now."
    )
    visible_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="If given, the slots appear at a random moment in [visible_at, visible_until].",
    )

    def validate_site(self, value: str) -> Site:
        site = Site.objects.filter(slug=value, is_active=True).first()
        if site is None:
            raise serializers.ValidationError(_("Unknown site: %(slugs)s.") % {"slugs": value})
        return site

    def validate_procedure(self, value: str) -> Procedure:
        # With its horizon: availability asks for it (booking.rules.horizon_end).
        procedure = (
            Procedure.objects.select_related("horizon").filter(slug=value, is_active=True).first()
        )
        if procedure is None:
            raise serializers.ValidationError(_("Unknown procedure: %(slug)s.") % {"slug": value})
        return procedure

    def service_arguments(self) -> PublicationParameters:
        """The arguments of ``slots_publish`` and ``publication_preview``, once valid
        (as ``backoffice.capacity_forms.PublishForm.service_arguments``)."""
        data = self.validated_data
        ranges = [OpeningRange(start=r["start"], end=r["end"]) for r in data["opening_ranges"]]
        return publication_parameters(data, opening_ranges=ranges)


class PublicationResultSerializer(serializers.Serializer):
    publication = serializers.IntegerField(help_text="The publication id.")
    created = serializers.IntegerField(help_text="Slots created.")
    skipped = serializers.IntegerField(help_text="Slots that already existed.")
    visible_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the new slots become visible; null while a moment drawn at random "
        "in `visible_window` has not passed (it is never told before).",
    )
    visible_window = serializers.ListField(
        child=serializers.DateTimeField(),
        allow_null=True,
        help_text="[start, end] of a random visibility window, else null.",
    )
