"""What the record reads from the apps below it that are not booking's or
notifications', behind one function each.

- ``substitution_requests_of``: the substitution route's requests and their
  answers (``substitution.selectors.requests_of``).
- ``waiting_list_periods_of``: time on the waiting list. There is no waiting
  list yet: this hook returns nothing until there is one. When it exists,
  return one dict per period (``{"at": start, "until": end or None,
  "procedure": name, "site": name or None}``) and the record lists them.
"""

from __future__ import annotations

from datetime import datetime

from booking.models import Applicant
from substitution.selectors import requests_of


def substitution_requests_of(
    applicant: Applicant, *, since: datetime, until: datetime
) -> list[dict]:
    """``[{"at", "tracking", "procedure", "site", "reason", "status", "answer",
    "answered_at"}]`` of the person's substitution requests received within the
    period (filed under their document, or answered by booking them), oldest
    first (``substitution.selectors.requests_of``). One query."""
    rows = []
    for request in requests_of(applicant=applicant).filter(
        created_at__gte=since, created_at__lte=until
    ):
        status = request.get_state_display()
        if request.outcome:
            status = f"{status}: {request.get_outcome_display()}"
        rows.append(
            {
                "at": request.created_at,
                "tracking": request.tracking,
                "procedure": request.procedure.name,
                "site": request.site.name if request.site_id else None,
                "reason": str(request.get_reason_display()),
                "status": str(status),
                "answer": request.answer,
                "answered_at": request.answered_at,
            }
        )
    return rows


def waiting_list_periods_of(
    applicant: Applicant, *, since: datetime, until: datetime
) -> list[dict]:
    """Time on the waiting list: none, there is no waiting list yet (see the module)."""
    return []
