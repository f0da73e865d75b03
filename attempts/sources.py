"""What the record reads from the apps beside it, behind one function each, so
that an app not installed (or not built yet) gives nothing rather than an
error.

- ``substitution_requests_of``: the substitution route's requests and their
  answers (``substitution.selectors.requests_of``).
- ``waiting_list_periods_of``: time on the waiting list. There is no waiting
  list yet: this hook returns nothing until there is one. When it exists,
  return one dict per period (``{"at": start, "until": end or None,
  "procedure": name, "site": name or None}``) and the record lists them.
"""

from __future__ import annotations

from datetime import datetime

from django.apps import apps

from booking.models import Applicant


def substitution_requests_of(
    applicant: Applicant, *, since: datetime, until: datetime
) -> list[dict]:
    """``[{"at", "tracking", "procedure", "site", "status", "answer", "answered_at"}]``
    of the person's substitution requests made within the period, oldest first."""
    if not apps.is_installed("substitution"):
        return []
    try:
        from substitution.selectors import requests_of
    except ImportError:  # pragma: no cover - the app without its selector
        return []
    rows = []
    for request in requests_of(applicant):
        at = getattr(request, "created_at", None) or getattr(request, "submitted_at", None)
        if at is None or not since <= at <= until:
            continue
        procedure = getattr(request, "procedure", None)
        site = getattr(request, "site", None)
        status = getattr(request, "status", "")
        get_status = getattr(request, "get_status_display", None)
        rows.append(
            {
                "at": at,
                "tracking": str(getattr(request, "tracking", "") or ""),
                "procedure": getattr(procedure, "name", "") if procedure else "",
                "site": getattr(site, "name", None) if site else None,
                "status": str(get_status()) if get_status else str(status),
                "answer": str(getattr(request, "answer_reason", "") or ""),
                "answered_at": getattr(request, "answered_at", None),
            }
        )
    rows.sort(key=lambda row: row["at"])
    return rows


def waiting_list_periods_of(
    applicant: Applicant, *, since: datetime, until: datetime
) -> list[dict]:
    """Time on the waiting list: none, there is no waiting list yet (see the module)."""
    return []
