"""Request and response shapes of the waiting-list and offers API.

Request serializers only check and convert input; the views call the
services (``allocation.services``). Response serializers only read: an entry
is rendered from ``allocation.selectors.EntryView`` (the entry, its place, the
estimate and its open offer), with the slugs of its sites from the context
(``{"sites": {id: slug}}``, read once per page).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.models import EntryStatus, OfferStatus
from booking.models import Procedure, Site
from core.api import QuerySerializer
from core.parsing import MAX_ID

MAX_SITES = 50


# --- Requests ------------------------------------------------------------------------


def _active_sites(slugs: set[str]) -> dict[str, int]:
    return dict(Site.objects.filter(slug__in=slugs, is_active=True).values_list("slug", "pk"))


def _unknown_refused(wanted: set[str], found: dict[str, int]) -> None:
    """A 400 naming the slugs of ``wanted`` that are no active site."""
    unknown = sorted(wanted - set(found))
    if unknown:
        raise serializers.ValidationError(
            _("Unknown site: %(slugs)s.") % {"slugs": ", ".join(unknown)}
        )


class WaitlistJoinSerializer(serializers.Serializer):
    """What ``POST /waitlist/`` takes. The slugs become the procedure and the
    sites (an unknown one is a 400 ``invalid``); the service decides the rest."""

    procedure = serializers.SlugField(max_length=50, help_text="The procedure's slug.")
    sites = serializers.ListField(
        child=serializers.SlugField(max_length=50),
        min_length=1,
        max_length=MAX_SITES,
        help_text="The slugs of the sites the person can reach. Those whose capacity of "
        "the procedure is not given out by the waiting list are left out; none left: "
        "409 `not_given_out_by_list`.",
    )
    weekdays_excluded = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        max_length=7,
        required=False,
        default=list,
        help_text="ISO weekdays the person cannot come (1 = Monday ... 7 = Sunday); at "
        "least one day must be left.",
    )
    applicant = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The person to put on the list (an applicant id): required for staff "
        "(mediators: a person of their access point, with their consent for the waiting "
        "list; agents: at their sites; supervisors), optional for an applicant (their "
        "own only).",
    )
    permit_expires_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Staff only, having seen the residence permit: when it expires (a "
        "renewal whose permit expires soon comes first). An applicant's value is ignored.",
    )

    # What ``allocation.api.hotpath`` read of the body, if it did (the context's
    # ``reference``): the procedure and the sites are then taken from it.
    @property
    def _reference(self):
        return self.context.get("reference")

    def validate_procedure(self, value: str) -> Procedure:
        reference = self._reference
        if reference is not None and reference.slug == value:
            procedure = reference.procedure
        else:
            procedure = Procedure.objects.select_related("horizon").filter(slug=value).first()
        if procedure is None:
            raise serializers.ValidationError(_("Unknown procedure: %(slug)s.") % {"slug": value})
        return procedure

    def validate_sites(self, value: list[str]) -> list[int]:
        wanted = set(value)
        reference = self._reference
        # The ids of the sites the list gives the procedure out at, when read with them.
        self.queued_site_ids = None
        if reference is not None and reference.asked == wanted:
            found = reference.sites
            self.queued_site_ids = reference.queued
        else:
            found = _active_sites(wanted)
        _unknown_refused(wanted, found)
        # The slugs by id, for the entry's rendering (no second read).
        self.site_slugs = {pk: slug for slug, pk in found.items()}
        return sorted(found.values())

    def validate_weekdays_excluded(self, value: list[int]) -> list[int]:
        if len(set(value)) >= 7:
            raise serializers.ValidationError(_("Leave at least one day you can come."))
        return sorted(set(value))


class WaitlistChangeSerializer(serializers.Serializer):
    """What ``PATCH /waitlist/<id>/`` takes: the places, the days, or both (what
    is not sent stays as it is). The checks are the join's."""

    sites = serializers.ListField(
        child=serializers.SlugField(max_length=50),
        min_length=1,
        max_length=MAX_SITES,
        required=False,
        help_text="The slugs of the sites the person can reach now, in place of those "
        "listed. Those the list does not give the procedure out at are left out; none "
        "left: 409 `not_given_out_by_list`.",
    )
    weekdays_excluded = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        max_length=7,
        required=False,
        help_text="ISO weekdays the person cannot come, in place of those listed "
        "(`[]`: any day); at least one day must be left.",
    )

    validate_weekdays_excluded = WaitlistJoinSerializer.validate_weekdays_excluded

    def validate_sites(self, value: list[str]) -> list[int]:
        wanted = set(value)
        found = _active_sites(wanted)
        _unknown_refused(wanted, found)
        return sorted(found.values())

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(
                _("Send the places, the days you cannot come, or both.")
            )
        return attrs


class EntryListQuerySerializer(QuerySerializer):
    applicant = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Staff: the person whose entries to list (required). An applicant: their "
        "own id or nothing.",
    )


class OfferFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=OfferStatus.choices, required=False)
    applicant = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Only this person's offers (staff: a person you may act for; anyone "
        "else gives an empty list).",
    )


# --- Responses -----------------------------------------------------------------------


class OfferSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="slot_id")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    site = serializers.SlugField(source="slot.site.slug")


class OfferSerializer(serializers.Serializer):
    """Expects offers with their slot, site, procedure and appointment joined."""

    id = serializers.IntegerField()
    entry = serializers.IntegerField(source="entry_id", help_text="The waiting-list entry.")
    status = serializers.ChoiceField(choices=OfferStatus.choices)
    procedure = serializers.SlugField(source="procedure.slug")
    slot = OfferSlotSerializer(source="*", help_text="The seat held for the person.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        help_text="Held until this moment; unanswered by then, the seat goes to the next person."
    )
    answered_at = serializers.DateTimeField(allow_null=True)
    appointment = serializers.CharField(
        source="appointment.reference",
        allow_null=True,
        default=None,
        help_text="Accepted: the appointment's reference.",
    )


class EntrySerializer(serializers.Serializer):
    """Renders an ``allocation.selectors.EntryView``."""

    id = serializers.IntegerField(source="entry.pk")
    procedure = serializers.SlugField(source="entry.procedure.slug")
    sites = serializers.SerializerMethodField(help_text="The slugs of the sites chosen.")
    weekdays_excluded = serializers.ListField(
        child=serializers.IntegerField(), source="entry.weekdays_excluded"
    )
    status = serializers.ChoiceField(choices=EntryStatus.choices, source="entry.status")
    position = serializers.IntegerField(
        allow_null=True,
        help_text="The place in the list (1: next); null when not waiting (paused, served, "
        "left), and in a join's 201 (read the entry for it).",
    )
    weeks_estimate = serializers.IntegerField(
        allow_null=True,
        help_text="Weeks until an offer at the pace seats were given out lately; null when "
        "there is no honest figure (no seat given out lately, or not waiting), and in a "
        "join's 201 (read the entry for it).",
    )
    permit_expires_on = serializers.DateField(allow_null=True, source="entry.permit_expires_on")
    joined_at = serializers.DateTimeField(source="entry.joined_at")
    offer = OfferSerializer(allow_null=True, help_text="The open offer, if any.")

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_sites(self, view: Any) -> list[str]:
        return _slugs_of(view.entry, self.context.get("sites") or {})


def _slugs_of(entry, names: dict[int, str]) -> list[str]:
    return [names[pk] for pk in entry.site_ids if pk in names]


def joined_data(entry: Any, sites: dict[int, str]) -> dict:
    """A join's 201: what ``EntrySerializer`` writes of the new entry without
    its place, its estimate nor an offer (a property test holds it to that),
    written without the serializer's fields: making one deep-copies them, and
    their lookups (of the current time zone among them) cost some 90 µs, a
    tenth of a join's CPU in the app."""
    joined = entry.joined_at.astimezone(timezone.get_current_timezone()).isoformat()
    if joined.endswith("+00:00"):
        joined = joined[:-6] + "Z"
    permit = entry.permit_expires_on
    return {
        "id": entry.pk,
        "procedure": entry.procedure.slug,
        "sites": _slugs_of(entry, sites),
        "weekdays_excluded": [int(day) for day in entry.weekdays_excluded],
        "status": entry.status,
        "position": None,
        "weeks_estimate": None,
        "permit_expires_on": None if permit is None else permit.isoformat(),
        "joined_at": joined,
        "offer": None,
    }
