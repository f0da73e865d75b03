"""The supervisors' search of the audit trail, and its CSV export.

Supervisors only (``accounts.permissions.can_search_audit``): anyone else
logged in gets 403, an anonymous visitor the login page. Read-only: nothing
here writes the trail, except the row that records an export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.permissions import can_search_audit
from audit.models import AuditAction
from audit.services import audit_record
from backoffice.forms import AuditSearchForm
from backoffice.selectors import audit_events_search
from core.csv import csv_lines

PAGE_SIZE = 50
_ROLES = dict(Role.choices)


def _supervisor_only(request: HttpRequest) -> None:
    if not can_search_audit(request.user):
        raise PermissionDenied


def _render_search(request: HttpRequest, form: AuditSearchForm, status: int = 200) -> HttpResponse:
    page = None
    if form.is_valid():
        events = audit_events_search(filters=form.filters())
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        for event in page.object_list:
            event.role_label = _ROLES.get(event.actor_role, event.actor_role)
    return render(
        request,
        "audit/search.html",
        {"form": form, "page": page, "filtered": form.is_valid() and form.has_changed()},
        status=status,
    )


@require_GET
@login_required
def search(request: HttpRequest) -> HttpResponse:
    _supervisor_only(request)
    return _render_search(request, AuditSearchForm(request.GET))


_HEADER = (
    "occurred_at",
    "action",
    "actor",
    "actor_role",
    "subject_user_id",
    "applicant_id",
    "appointment_reference",
    "ip",
    "details",
)


def _csv_rows(events) -> Iterator[str]:
    """The header, then one line per event, streamed (cells formula-safe: ``core.csv``)."""
    yield from csv_lines([_HEADER])
    yield from csv_lines(
        (
            timezone.localtime(event.occurred_at).isoformat(),
            event.action,
            event.actor_label,
            event.actor_role,
            event.subject_user_id,
            event.applicant_id,
            event.appointment_reference,
            event.ip,
            json.dumps(event.details, ensure_ascii=False, sort_keys=True),
        )
        for event in events.iterator(chunk_size=2000)
    )


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered rows as CSV (all of them, streamed). The export is itself audited."""
    _supervisor_only(request)
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _render_search(request, form, status=400)
    filters = form.filters()
    recorded = audit_record(
        actor=request.user,
        action=AuditAction.AUDIT_EXPORTED,
        details={"filters": filters.as_json()},
    )
    # Without the export's own row, written after the search was asked for.
    events = audit_events_search(filters=filters).select_related(None).exclude(pk=recorded.pk)
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="guichet-audit-{stamp}.csv"'
    return response
