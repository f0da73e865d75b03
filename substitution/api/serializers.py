"""The substitution route's API bodies. Shape only: the service decides."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from booking.models import DocumentType, Procedure, Site
from core.languages import language_codes
from substitution.models import Outcome, Reason, State
from substitution.services import ACCOUNT_MAX, POSTAL_ADDRESS_MAX


class SubstitutionRequestCreateSerializer(serializers.Serializer):
    """A request for an appointment, filed without an account. At least one of
    ``phone``, ``email`` and ``postal_address``."""

    surname = serializers.CharField(max_length=150)
    given_names = serializers.CharField(max_length=150)
    birth_date = serializers.DateField()
    nationality = CountryField(help_text="ISO 3166-1 alpha-2 country code.")
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(max_length=20)
    procedure = serializers.SlugField(max_length=50, help_text="Procedure slug.")
    site = serializers.SlugField(
        max_length=50, required=False, allow_blank=True, help_text="Slug of the site wished."
    )
    reason = serializers.ChoiceField(choices=Reason.choices, help_text="What happened.")
    account = serializers.CharField(
        max_length=ACCOUNT_MAX, required=False, allow_blank=True, help_text="In one's own words."
    )
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="A mobile number."
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    postal_address = serializers.CharField(
        max_length=POSTAL_ADDRESS_MAX, required=False, allow_blank=True
    )
    language = serializers.CharField(
        max_length=8, required=False, help_text="Language of the messages: fr, en, ar..."
    )

    def validate_procedure(self, value: str) -> Procedure:
        procedure = Procedure.objects.filter(slug=value, is_active=True).first()
        if procedure is None:
            raise serializers.ValidationError(_("This procedure does not exist."))
        return procedure

    def validate_language(self, value: str) -> str:
        if value not in language_codes():
            raise serializers.ValidationError(_("This language is not offered."))
        return value

    def validate_site(self, value: str) -> Site | None:
        if not value:
            return None
        site = Site.objects.filter(slug=value, is_active=True).first()
        if site is None:
            raise serializers.ValidationError(_("This site does not exist."))
        return site


class SubstitutionReceiptSerializer(serializers.Serializer):
    tracking = serializers.CharField(help_text="The tracking number: keep it.")
    state = serializers.ChoiceField(choices=State.choices)
    due_at = serializers.DateTimeField(help_text="The prefecture answers by then.")


class StatusQuerySerializer(serializers.Serializer):
    birth_date = serializers.DateField(help_text="The date of birth given in the request.")


class AnswerAppointmentSerializer(serializers.Serializer):
    reference = serializers.CharField()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    site = serializers.CharField(source="slot.site.name")
    address = serializers.CharField(source="slot.site.full_address")


class SubstitutionStatusSerializer(serializers.Serializer):
    tracking = serializers.CharField()
    procedure = serializers.CharField(source="procedure.slug", help_text="Procedure slug.")
    state = serializers.ChoiceField(choices=State.choices)
    outcome = serializers.ChoiceField(
        choices=[("", "Not answered yet"), *Outcome.choices],
        help_text="Empty until answered.",
    )
    answer = serializers.CharField(help_text="The reason given (refused, referred).")
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    appointment = AnswerAppointmentSerializer(allow_null=True, help_text="When booked.")
