"""Request and response shapes of ``POST /api/v1/identity/claim/`` (an account
takes over a walk-in's file). Apart from ``booking.api.serializers`` so that
the claim's shapes change without touching the booking's."""

from __future__ import annotations

from rest_framework import serializers

from booking.api.serializers import AppointmentSerializer, IdentitySnapshotSerializer


class IdentityClaimSerializer(serializers.Serializer):
    """What proves the file is the caller's: all three are required."""

    reference = serializers.CharField(
        max_length=16, help_text="The reference of one of the file's appointments."
    )
    birth_date = serializers.DateField(help_text="The date of birth on file (YYYY-MM-DD).")
    document_number = serializers.CharField(
        max_length=20,
        help_text="The document number on file (AGDREF or passport); spaces and dashes "
        "do not matter.",
    )


class IdentityClaimResultSerializer(serializers.Serializer):
    """The file now held by the account: its identity and the appointments it
    brought (as ``GET /api/v1/appointments/`` shows them)."""

    identity = IdentitySnapshotSerializer()
    appointments = AppointmentSerializer(many=True)
