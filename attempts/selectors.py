"""The record of attempts of one person, week by week: what the HTML page
shows, the PDF prints and an issued record keeps (``AttemptRecord.content``).

``record_content`` returns plain JSON (strings, numbers, lists, dicts): the
names of procedures and sites as they are when the record is made, instants
in ISO 8601 with their offset. ``record_weeks`` turns it back into weeks of
entries with datetimes for the templates and the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from attempts import sources
from attempts.models import FailedSearch
from booking.models import Applicant
from notifications.models import AlertSubscription, Message, MessageStatus
from privacy.services import months_before

# The template of the new-slot alerts (notifications.services.alerts.NEW_SLOTS).
ALERT_TEMPLATE = "new_slots"
RECEIVED = (MessageStatus.SENT, MessageStatus.DELIVERED)
KINDS = ("searches", "alerts_subscribed", "alerts_received", "substitution", "waiting_list")
CONTENT_VERSION = 1


def period_start(now: datetime) -> datetime:
    """The oldest moment a record covers: what the retention keeps."""
    return months_before(now, settings.RETENTION_MONTHS)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat()


def _searches(applicant: Applicant, since: datetime, until: datetime) -> list[dict]:
    rows = (
        FailedSearch.objects.filter(applicant=applicant, last_at__gte=since, first_at__lte=until)
        .select_related("procedure", "site")
        .order_by("first_at", "pk")
    )
    return [
        {
            "at": _iso(row.first_at),
            "until": _iso(row.last_at),
            "procedure": row.procedure.name,
            "site": row.site.name if row.site_id else None,
            "count": row.searches,
            "mediated": row.mediated,
        }
        for row in rows
    ]


def _alerts_subscribed(applicant: Applicant, since: datetime, until: datetime) -> list[dict]:
    rows = (
        AlertSubscription.objects.filter(applicant=applicant, created_at__lte=until)
        .exclude(unsubscribed_at__lt=since)
        .select_related("procedure")
        .prefetch_related("sites")
        .order_by("created_at", "pk")
    )
    return [
        {
            "at": _iso(row.created_at),
            "until": _iso(row.unsubscribed_at),
            "procedure": row.procedure.name,
            "sites": sorted(site.name for site in row.sites.all()),
            "channels": str(row.get_channels_display()),
        }
        for row in rows
    ]


def _alerts_received(applicant: Applicant, since: datetime, until: datetime) -> list[dict]:
    rows = (
        Message.objects.filter(
            applicant=applicant,
            template_key=ALERT_TEMPLATE,
            status__in=RECEIVED,
            sent_at__gte=since,
            sent_at__lte=until,
        )
        .only("sent_at", "channel", "status", "subject")
        .order_by("sent_at", "pk")
    )
    return [
        {
            "at": _iso(row.sent_at),
            "channel": str(row.get_channel_display()),
            "status": str(row.get_status_display()),
        }
        for row in rows
    ]


def _plain(rows: list[dict]) -> list[dict]:
    return [
        {key: _iso(value) if isinstance(value, datetime) else value for key, value in row.items()}
        for row in rows
    ]


def record_content(*, applicant: Applicant, now: datetime, since: datetime | None = None) -> dict:
    """Everything the record says about ``applicant`` from ``since`` (default: as far
    back as the retention keeps) to ``now``, as JSON. Five queries, and the
    substitution route's."""
    since = since or period_start(now)
    entries = {
        "searches": _searches(applicant, since, now),
        "alerts_subscribed": _alerts_subscribed(applicant, since, now),
        "alerts_received": _alerts_received(applicant, since, now),
        "substitution": _plain(sources.substitution_requests_of(applicant, since=since, until=now)),
        "waiting_list": _plain(sources.waiting_list_periods_of(applicant, since=since, until=now)),
    }
    searches = entries["searches"]
    search_weeks = {_week_of(parse_datetime(row["at"])) for row in searches}
    return {
        "version": CONTENT_VERSION,
        "person": {
            "surname": applicant.surname,
            "given_names": applicant.given_names,
            "birth_date": applicant.birth_date.isoformat(),
        },
        "period": {"from": _iso(since), "to": _iso(now)},
        "summary": {
            "searches": sum(row["count"] for row in searches),
            "weeks_with_searches": len(search_weeks),
            "first_search": searches[0]["at"] if searches else None,
            "last_search": max(row["until"] for row in searches) if searches else None,
            "alerts_received": len(entries["alerts_received"]),
            "substitution_requests": len(entries["substitution"]),
        },
        **entries,
    }


def _week_of(moment: datetime) -> date:
    """The Monday (local) of ``moment``'s week."""
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


@dataclass
class Week:
    monday: date
    searches: list[dict] = field(default_factory=list)
    alerts_subscribed: list[dict] = field(default_factory=list)
    alerts_received: list[dict] = field(default_factory=list)
    substitution: list[dict] = field(default_factory=list)
    waiting_list: list[dict] = field(default_factory=list)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def search_count(self) -> int:
        return sum(row["count"] for row in self.searches)


def _parsed(row: dict) -> dict:
    return {
        key: parse_datetime(value)
        if key in ("at", "until", "answered_at") and isinstance(value, str)
        else value
        for key, value in row.items()
    }


def record_weeks(content: dict) -> list[Week]:
    """The entries of ``content`` grouped by local week (Monday to Sunday),
    oldest first; weeks with nothing are left out."""
    weeks: dict[date, Week] = {}
    for kind in KINDS:
        for row in content.get(kind, []):
            entry = _parsed(row)
            monday = _week_of(entry["at"])
            week = weeks.get(monday) or weeks.setdefault(monday, Week(monday))
            getattr(week, kind).append(entry)
    return [weeks[monday] for monday in sorted(weeks)]


def record_dates(content: dict) -> dict:
    """The summary and period of ``content`` with datetimes, for display."""
    return {
        "period_from": parse_datetime(content["period"]["from"]),
        "period_to": parse_datetime(content["period"]["to"]),
        "first_search": parse_datetime(content["summary"]["first_search"] or "") or None,
        "last_search": parse_datetime(content["summary"]["last_search"] or "") or None,
        "birth_date": date.fromisoformat(content["person"]["birth_date"]),
    }
