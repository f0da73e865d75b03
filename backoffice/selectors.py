"""Reads of the back office: the supervisors' search of the audit trail (and
its CSV export), which finds people by their identity in ``booking``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from booking.identity import normalize_document_number, normalize_name
from booking.models import Applicant
from core.parsing import parse_id


@dataclass(frozen=True)
class AuditFilters:
    """What a supervisor searches for; empty values filter nothing."""

    actor_email: str = ""
    action: str = ""
    reference: str = ""
    applicant: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_json(self) -> dict[str, str]:
        """The filters that are set, JSON-ready (for the audit row of an export)."""
        values = {
            "actor": self.actor_email,
            "action": self.action,
            "reference": self.reference,
            "applicant": self.applicant,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


def _day_start(day: date) -> datetime:
    """Midnight of ``day`` in the site's time zone (Europe/Paris)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _applicant_condition(value: str) -> Q:
    """Rows about the applicant whose id, document number or surname is ``value``."""
    people = Q(surname_normalized=normalize_name(value))
    number = normalize_document_number(value)
    if number:
        people |= Q(document_number=number)
    condition = Q(applicant_id__in=Applicant.objects.filter(people).values("pk"))
    applicant_id = parse_id(value)  # not an id (too large, not ASCII): a document number
    if applicant_id is not None:
        condition |= Q(applicant_id=applicant_id)
    return condition


def audit_events_search(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The audit rows that match ``filters``, newest first, with their applicant.

    One query however many rows (the applicant is joined); the caller paginates.
    """
    events = AuditEvent.objects.select_related("applicant").order_by("-occurred_at", "-pk")
    if filters.actor_email:
        events = events.filter(actor_label=filters.actor_email.lower())
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.reference:
        events = events.filter(appointment_reference=filters.reference.upper())
    if filters.applicant:
        events = events.filter(_applicant_condition(filters.applicant))
    if filters.date_from:
        events = events.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return events
