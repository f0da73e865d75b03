"""The record of attempts' pages: the person's (HTML and PDF), a mediator's for
a person of their point, and the public verification page.

Issuing a PDF creates an ``AttemptRecord`` (rate-limited per account and per
address, audited). Someone the caller may not act for answers like someone who
does not exist (404). A verification code that is unknown, changed or
malformed answers one and the same "no such record" page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from attempts import selectors, services
from attempts.forms import VerifyForm
from attempts.pdf import record_pdf
from booking.models import ERASED_TEXT, Applicant
from booking.permissions import visible_applicants
from booking.views.common import applicant_of, applicant_required
from core.client import client_address
from core.links import public_url
from core.ratelimit import hit

STAFF_ROLES = (Role.MEDIATOR, Role.AGENT, Role.SUPERVISOR)


def _page(request: HttpRequest, applicant: Applicant, *, pdf_url: str, back_url: str | None):
    now = timezone.now()
    content = selectors.record_content(applicant=applicant, now=now)
    return render(
        request,
        "attempts/record.html",
        {
            "content": content,
            "weeks": selectors.record_weeks(content),
            "dates": selectors.record_dates(content),
            "pdf_url": pdf_url,
            "back_url": back_url,
            "for_someone": request.user.role != Role.APPLICANT,
        },
    )


def _issued_pdf(request: HttpRequest, applicant: Applicant) -> HttpResponse:
    hit("attempts_issue", account=request.user.pk, ip=client_address(request))
    issued = services.record_issue(actor=request.user, applicant=applicant)
    verify_url = public_url(reverse("attempts:verify", args=[issued.code]))
    body = record_pdf(
        content=issued.record.content,
        code=issued.code,
        verify_url=verify_url,
        issued_at=issued.record.issued_at,
        language=get_language() or "fr",
    )
    response = HttpResponse(body, content_type="application/pdf")
    day = timezone.localdate(issued.record.issued_at).isoformat()
    response["Content-Disposition"] = f'attachment; filename="record-of-attempts-{day}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- The person ----------------------------------------------------------------------------


@require_GET
@applicant_required
def record(request: HttpRequest) -> HttpResponse:
    applicant = applicant_of(request.user)
    if applicant is None:
        return render(request, "attempts/no_identity.html")
    return _page(
        request, applicant, pdf_url=reverse("attempts:record_pdf"), back_url=reverse("accounts:me")
    )


@require_GET
@applicant_required
def record_pdf_view(request: HttpRequest) -> HttpResponse:
    applicant = applicant_of(request.user)
    if applicant is None:
        messages.info(request, _("Enter your identity first: the record is in its name."))
        return redirect("attempts:record")
    return _issued_pdf(request, applicant)


# --- A mediator (or an agent, a supervisor) for a person they may act for -----------------


def _person_for(request: HttpRequest, applicant_id: int) -> Applicant:
    """The person if ``request.user`` is staff who may see and act for them, else 404."""
    if request.user.role not in STAFF_ROLES:
        raise Http404
    applicant = (
        Applicant.objects.filter(visible_applicants(request.user), pk=applicant_id)
        .exclude(surname=ERASED_TEXT)
        .first()
    )
    if applicant is None:
        raise Http404
    return applicant


@require_GET
@login_required
def record_for_person_page(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = _person_for(request, applicant_id)
    return _page(
        request,
        applicant,
        pdf_url=reverse("attempts:record_for_person", args=[applicant.pk]),
        back_url=None,
    )


@require_GET
@login_required
def record_for_person(request: HttpRequest, applicant_id: int) -> HttpResponse:
    return _issued_pdf(request, _person_for(request, applicant_id))


# --- Public verification -------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    # The code is in the address: kept out of caches, search engines and referrers.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Type the code printed on a record (``?code=``): sent on to its page."""
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("attempts:verify", code=form.cleaned_data["code"])
    return _private(render(request, "attempts/verify_form.html", {"form": form}))


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    hit("attempts_verify", ip=client_address(request))
    issued = services.record_verified(code)
    if issued is None:
        return _private(render(request, "attempts/verify_unknown.html", status=404))
    content = issued.content
    return _private(
        render(
            request,
            "attempts/verify.html",
            {
                "issued": issued,
                "content": content,
                "weeks": selectors.record_weeks(content),
                "dates": selectors.record_dates(content),
            },
        )
    )
