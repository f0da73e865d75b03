"""Request and response shapes of the mediation API. Request serializers only
check types; the services decide (``mediation.services``)."""

from __future__ import annotations

from rest_framework import serializers

from booking.models import DocumentType
from core.languages import language_choices
from mediation.models import ConsentGiver, ConsentMethod, ConsentPurpose


class PeopleQuerySerializer(serializers.Serializer):
    document_number = serializers.CharField(
        max_length=40,
        trim_whitespace=True,
        help_text="The person's document number (foreigner number or passport), as on "
        "the document; compared after normalisation, exactly.",
    )
    birth_date = serializers.DateField(help_text="The person's date of birth.")


class ConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    access_point = serializers.IntegerField(source="access_point_id")
    mediator = serializers.IntegerField(source="mediator_id", allow_null=True)
    given_by = serializers.ChoiceField(choices=ConsentGiver.choices)
    given_by_name = serializers.CharField()
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=ConsentPurpose.choices))
    given_at = serializers.DateTimeField()
    valid_until = serializers.DateField(help_text="Last day of validity, included.")
    withdrawn_at = serializers.DateTimeField(allow_null=True)


class PersonSerializer(serializers.Serializer):
    """A person as a mediator sees them, with the consents given to their point.
    Expects ``consents_here`` (a list) set by the view."""

    id = serializers.IntegerField()
    surname = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField()
    nationality = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField()
    has_account = serializers.SerializerMethodField(
        help_text="Whether the person has an account (then they book online too)."
    )
    consents = ConsentSerializer(
        many=True, source="consents_here", help_text="Given to the caller's access point."
    )

    def get_has_account(self, person) -> bool:
        return person.user_id is not None


class WalkInSerializer(serializers.Serializer):
    surname = serializers.CharField(max_length=150)
    given_names = serializers.CharField(max_length=150)
    birth_date = serializers.DateField()
    nationality = serializers.CharField(
        max_length=2, min_length=2, help_text="ISO 3166-1 alpha-2 country code."
    )
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(max_length=20)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="A mobile number."
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(
        choices=language_choices(), required=False, default="fr", help_text="For the messages."
    )


class ConsentRequestSerializer(serializers.Serializer):
    given_by = serializers.ChoiceField(choices=ConsentGiver.choices)
    given_by_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="The representative's name (required when `given_by` is `representative`).",
    )
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=ConsentPurpose.choices), min_length=1, max_length=4
    )
    valid_until = serializers.DateField(help_text="Last day of validity, included.")
    document_number = serializers.CharField(
        max_length=40,
        required=False,
        help_text="With `birth_date`: required when the person is not yet one of your "
        "access point's people (found by `GET /mediation/applicants/`).",
    )
    birth_date = serializers.DateField(required=False)
