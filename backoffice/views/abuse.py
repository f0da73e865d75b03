"""The abuse report for supervisors, its CSV per section, an account's page
with its suspension, suspending and lifting.

Supervisors only (``accounts.permissions.can_search_audit``): anyone else
logged in gets 403, an anonymous visitor the login page. Each section is one
bounded query (``backoffice.abuse.selectors``); each row links to the audit
trail filtered on it and to the account or the person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import can_search_audit, can_suspend_account
from audit.models import AuditAction
from backoffice.abuse import selectors
from backoffice.abuse.forms import PeriodForm, SuspendForm
from backoffice.abuse.services import account_suspend, account_suspension_lift
from booking.models import Appointment, AppointmentStatus
from core.csv import csv_lines
from core.views import domain_errors


def _supervisor_only(request: HttpRequest) -> None:
    if not can_search_audit(request.user):
        raise PermissionDenied


def _audit(**filters) -> str:
    return f"{reverse('audit:search')}?{urlencode(filters)}"


@dataclass(frozen=True)
class Section:
    slug: str
    title: object
    read: Callable[[selectors.Period], list[dict]]
    columns: tuple[str, ...]


def _mediators(period: selectors.Period) -> list[dict]:
    return selectors.mediators_unusual(period=period)[0]


SECTIONS = (
    Section(
        "identities",
        gettext_lazy("Identities booked from many accounts"),
        lambda p: selectors.identities_many_accounts(period=p),
        ("applicant_id", "applicant__surname", "accounts", "bookings", "last_at"),
    ),
    Section(
        "accounts",
        gettext_lazy("Accounts behind many identities"),
        lambda p: selectors.accounts_many_identities(period=p),
        ("booked_by_id", "booked_by__email", "identities", "bookings", "last_at"),
    ),
    Section(
        "phones",
        gettext_lazy("Phone numbers behind many identities"),
        lambda p: selectors.contacts_many_identities(kind="phone", period=p),
        ("contact", "identities", "accounts", "applicant_ids"),
    ),
    Section(
        "emails",
        gettext_lazy("E-mail addresses behind many identities"),
        lambda p: selectors.contacts_many_identities(kind="email", period=p),
        ("contact", "identities", "accounts", "applicant_ids"),
    ),
    Section(
        "rebook",
        gettext_lazy("Cancelled then booked again at once"),
        lambda p: selectors.cancel_rebook(period=p),
        (
            "applicant_id",
            "applicant__surname",
            "applicant__user__email",
            "cancellations",
            "rebookings",
            "percent",
            "last_at",
        ),
    ),
    Section(
        "checkin",
        gettext_lazy("Check-ins refused: another document"),
        lambda p: selectors.check_in_mismatches(period=p),
        (
            "appointment_reference",
            "applicant_id",
            "applicant__surname",
            "appointment__booked_by__email",
            "attempts",
            "last_at",
        ),
    ),
    Section(
        "mediators",
        gettext_lazy("Mediators: unusual volume or bookings outside opening hours"),
        _mediators,
        (
            "booked_by_id",
            "booked_by__email",
            "access_point__name",
            "bookings",
            "times_median",
            "outside_hours",
            "last_at",
        ),
    ),
    Section(
        "claims",
        gettext_lazy("Refused identity claims"),
        lambda p: selectors.refused_claims(period=p),
        ("account_id", "account__email", "attempts", "identities", "addresses", "last_at"),
    ),
)
_BY_SLUG = {section.slug: section for section in SECTIONS}


def _period(request: HttpRequest) -> tuple[PeriodForm, selectors.Period | None]:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, selectors.Period.last_days(form.cleaned_data["days"])


def _links(section: str, row: dict) -> None:
    """The row's links: to the audit trail filtered on it, to the account's
    page (its suspension), to the person's page."""
    account_id = account_email = None
    if section in ("accounts", "mediators"):
        account_id, account_email = row["booked_by_id"], row["booked_by__email"]
    elif section == "claims":
        account_id, account_email = row["account_id"], row["account__email"]
    elif section == "rebook":
        account_id, account_email = row["applicant__user_id"], row["applicant__user__email"]
    elif section == "identities":
        account_id = row["applicant__user_id"]
    elif section == "checkin":
        account_id = row["appointment__booked_by_id"]
        account_email = row["appointment__booked_by__email"]
    row["account_id"] = account_id
    row["account_email"] = account_email
    row["account_url"] = (
        reverse("agent:abuse_account", args=[account_id]) if account_id is not None else None
    )
    if section == "checkin":
        row["audit_url"] = _audit(reference=row["appointment_reference"])
    elif row.get("applicant_id") is not None and section in ("identities", "rebook"):
        row["audit_url"] = _audit(applicant=row["applicant_id"])
    elif account_email:
        row["audit_url"] = _audit(actor=account_email)
    else:
        row["audit_url"] = None
    if row.get("applicant_id") is not None:
        row["person_url"] = reverse("agent:person", args=[row["applicant_id"]])
    if "applicant_ids" in row:
        row["people"] = [
            (pk, reverse("agent:person", args=[pk]), _audit(applicant=pk))
            for pk in row["applicant_ids"][: selectors.CONTACT_IDENTITIES_SHOWN]
        ]


@require_GET
@login_required
def report(request: HttpRequest) -> HttpResponse:
    _supervisor_only(request)
    form, period = _period(request)
    sections = []
    median = None
    if period is not None:
        for section in SECTIONS:
            if section.slug == "mediators":
                rows, median = selectors.mediators_unusual(period=period)
            else:
                rows = section.read(period)
            for row in rows:
                _links(section.slug, row)
            query = urlencode({"days": form.cleaned_data["days"]})
            csv_url = f"{reverse('agent:abuse_csv', args=[section.slug])}?{query}"
            sections.append({"section": section, "rows": rows, "csv_url": csv_url})
    return render(
        request,
        "office/abuse/report.html",
        {
            "form": form,
            "period": period,
            "sections": sections,
            "median": median,
            "office_page": "abuse",
        },
        status=200 if period is not None else 400,
    )


def _csv_rows(section: Section, rows: list[dict]) -> Iterator[str]:
    yield from csv_lines([section.columns])
    yield from csv_lines(
        [
            timezone.localtime(row[name]).isoformat()
            if name.endswith("_at") and row.get(name)
            else " ".join(map(str, row[name]))
            if isinstance(row.get(name), list)
            else row.get(name)
            for name in section.columns
        ]
        for row in rows
    )


@require_GET
@login_required
def report_csv(request: HttpRequest, section: str) -> HttpResponse:
    """One section as CSV (cells formula-safe: ``core.csv``)."""
    _supervisor_only(request)
    chosen = _BY_SLUG.get(section)
    if chosen is None:
        raise Http404
    _form, period = _period(request)
    if period is None:
        return report(request)
    response = StreamingHttpResponse(
        _csv_rows(chosen, chosen.read(period)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="guichet-abuse-{chosen.slug}-{stamp}.csv"'
    )
    return response


def _account(request: HttpRequest, user_id: int) -> User:
    _supervisor_only(request)
    account = User.objects.select_related("suspended_by").filter(pk=user_id).first()
    if account is None:
        raise Http404
    return account


def _to_account(request: HttpRequest, user_id: int) -> str:
    return reverse("agent:abuse_account", args=[user_id])


@require_GET
@login_required
def account(request: HttpRequest, user_id: int) -> HttpResponse:
    """An account as the abuse report sees it: its suspension, what it booked
    to come, the links to the trail; the button to suspend or lift."""
    return _account_page(request, _account(request, user_id), SuspendForm())


def _account_page(
    request: HttpRequest, account: User, form: SuspendForm, status: int = 200
) -> HttpResponse:
    applicant = getattr(account, "applicant", None)
    upcoming = Appointment.objects.filter(
        applicant__user=account,
        status=AppointmentStatus.BOOKED,
        slot__starts_at__gt=timezone.now(),
    ).count()
    return render(
        request,
        "office/abuse/account.html",
        {
            "account": account,
            "applicant": applicant,
            "upcoming": upcoming,
            "form": form,
            "suspendable": can_suspend_account(request.user, account),
            "audit_actor_url": _audit(actor=account.email),
            "audit_suspensions_url": _audit(action=AuditAction.ACCOUNT_SUSPENDED.value),
            "audit_applicant_url": _audit(applicant=applicant.pk) if applicant else None,
            "office_page": "abuse",
        },
        status=status,
    )


@require_POST
@login_required
@domain_errors(fallback=_to_account)
def suspend(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        return _account_page(request, account, form)
    done = account_suspend(actor=request.user, user=account, reason=form.cleaned_data["reason"])
    messages.success(
        request,
        _(
            "The account %(email)s is suspended: %(appointments)s appointments cancelled, "
            "%(entries)s waiting-list entries left. The person is told."
        )
        % {
            "email": account.email,
            "appointments": len(done.cancelled),
            "entries": len(done.entries_left),
        },
    )
    return redirect("agent:abuse_account", user_id=account.pk)


@require_POST
@login_required
@domain_errors(fallback=_to_account)
def lift(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    account_suspension_lift(actor=request.user, user=account)
    messages.success(
        request,
        _("The suspension of %(email)s is lifted. The person is told.") % {"email": account.email},
    )
    return redirect("agent:abuse_account", user_id=account.pk)
