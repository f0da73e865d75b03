"""Request and response shapes of the counter's API (``/api/v1/agent/day/``,
``checkins/``, ``appointments/<reference>/done/``, ``no-shows/``). Apart from
``booking.api.serializers`` so that the counter's shapes change alone."""

from __future__ import annotations

from rest_framework import serializers

from booking.models import AppointmentStatus, Channel
from core.api import QuerySerializer


class CounterDayFilterSerializer(QuerySerializer):
    """The filters of the day's list (query parameters)."""

    site = serializers.SlugField(
        max_length=50,
        help_text="Site slug: one of your sites (supervisors: any). Another answers 404.",
    )
    date = serializers.DateField(required=False, help_text="The local day; default today.")
    procedure = serializers.SlugField(required=False, max_length=50, help_text="Procedure slug.")
    status = serializers.ChoiceField(
        choices=AppointmentStatus.choices,
        required=False,
        help_text="Default: every status but `cancelled`.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)


class CounterAppointmentSerializer(serializers.Serializer):
    """An appointment of the day's list (``booking.selectors.counter_day``)."""

    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    site = serializers.SlugField(source="slot.site.slug")
    procedure = serializers.SlugField(source="procedure.slug")
    surname = serializers.CharField()
    given_names = serializers.CharField()
    channel = serializers.ChoiceField(
        choices=Channel.choices, help_text="Who booked: online, by API, an access point, an agent."
    )
    booked_by_role = serializers.CharField()
    access_point = serializers.CharField(
        source="access_point.name", allow_null=True, default=None, help_text="When one booked."
    )
    checked_in_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)


class CheckInSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=64, help_text="The booking reference (the convocation's QR code holds it)."
    )
    document_number = serializers.CharField(
        max_length=64,
        help_text="The number of the document the person shows; spaces and dashes do not matter.",
    )


class NoShowsSerializer(serializers.Serializer):
    site = serializers.SlugField(max_length=50, help_text="Site slug: one of your sites.")
    date = serializers.DateField(help_text="The local day to close (today or before).")


class NoShowsResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Appointments marked `no_show` by this call.")
