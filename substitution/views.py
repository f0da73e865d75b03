"""The substitution route's pages.

Public (no account): the request form (``/substitution/``), its acknowledgment
with the tracking number, and the status page (tracking number and date of
birth). Agents (``/agent/substitution/``): the queue of the requests of their
sites, a request's page, taking it in hand, answering it (an appointment, a
refusal or a referral) and the answer letter (PDF).

A request the agent may not see answers 404, as one that does not exist;
anyone logged in who is not an agent or a supervisor gets 403 on the queue.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from booking.identity import Identity
from core.antibot import antibot_check
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message
from substitution import selectors, services
from substitution.forms import (
    AnswerForm,
    BookForm,
    QueueFilterForm,
    StatusForm,
    SubstitutionRequestForm,
)
from substitution.letter import letter_pdf
from substitution.models import SubstitutionRequest

_SESSION_KEY = "substitution_tracking"


# --- Public -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@ratelimited("substitution")
def request_form(request: HttpRequest) -> HttpResponse:
    initial = {"language": get_language()}
    form = SubstitutionRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if (refused := antibot_check(request)) is not None:
                raise refused
            filed = services.substitution_request_create(
                identity=Identity.from_form(data),
                procedure=data["procedure"],
                site=data["site"],
                reason=data["reason"],
                account=data["account"],
                phone=data["phone"],
                email=data["email"],
                postal_address=data["postal_address"],
                language=data["language"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            request.session[_SESSION_KEY] = filed.tracking
            return redirect("substitution:received")
    return render(
        request,
        "substitution/request_form.html",
        {
            "form": form,
            "deadline_days": settings.SUBSTITUTION_DEADLINE_DAYS,
            "retention_months": settings.RETENTION_MONTHS,
        },
    )


@require_GET
def received(request: HttpRequest) -> HttpResponse:
    """The acknowledgment: the tracking number of the request just filed."""
    tracking = request.session.get(_SESSION_KEY)
    filed = (
        SubstitutionRequest.objects.filter(tracking=tracking).select_related("procedure").first()
        if isinstance(tracking, str)
        else None
    )
    if filed is None:
        return redirect("substitution:request")
    return render(request, "substitution/received.html", {"filed": filed})


@require_http_methods(["GET", "POST"])
@ratelimited("substitution_status")
def status(request: HttpRequest) -> HttpResponse:
    """A request's state and answer, for its tracking number and date of birth
    (POST: neither in the address bar nor in the logs). A wrong pair answers
    exactly as a number that does not exist."""
    form = StatusForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        found = selectors.request_by_tracking(
            tracking=form.cleaned_data["tracking"], birth_date=form.cleaned_data["birth_date"]
        )
        if found is None:
            form.add_error(None, _("No request matches this tracking number and date of birth."))
    return render(request, "substitution/status.html", {"form": form, "found": found})


# --- Agents -----------------------------------------------------------------------------


def _staff(request: HttpRequest) -> None:
    if not selectors.can_handle_requests(request.user):
        raise PermissionDenied


def _request_or_404(request: HttpRequest, pk: int) -> SubstitutionRequest:
    _staff(request)
    found = selectors.request_for_staff(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = QueueFilterForm(request.GET or None)
    state = (form.cleaned_data.get("state") or "open") if form.is_valid() else "open"
    now = timezone.now()
    rows = list(selectors.queue(user=request.user, state=state, now=now)[:200])
    return render(
        request,
        "substitution/queue.html",
        {"form": form, "rows": rows, "now": now, "state": state},
    )


def _detail(
    request: HttpRequest,
    found: SubstitutionRequest,
    *,
    book_form: BookForm | None = None,
    answer_form: AnswerForm | None = None,
    status: int = 200,
) -> HttpResponse:
    slots = selectors.slots_for_answer(user=request.user, request=found) if found.is_open else []
    return render(
        request,
        "substitution/detail.html",
        {
            "found": found,
            "slots": slots,
            "book_form": book_form or BookForm(slots=slots),
            "answer_form": answer_form or AnswerForm(),
            "overdue": found.is_overdue(),
        },
        status=status,
    )


@require_GET
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _request_or_404(request, pk))


@require_POST
@login_required
def take(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_or_404(request, pk)
    try:
        services.substitution_request_take(actor=request.user, request=found)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("You have taken this request in hand."))
    return redirect("substitution_agent:detail", pk=found.pk)


@require_POST
@login_required
def book(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_or_404(request, pk)
    slots = selectors.slots_for_answer(user=request.user, request=found) if found.is_open else []
    form = BookForm(request.POST, slots=slots)
    if form.is_valid():
        try:
            services.substitution_request_book(
                actor=request.user, request=found, slot_id=form.cleaned_data["slot"]
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("The appointment is booked and the person is told."))
            return redirect("substitution_agent:detail", pk=found.pk)
    return _detail(request, found, book_form=form)


@require_POST
@login_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_or_404(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.substitution_request_answer(
                actor=request.user,
                request=found,
                outcome=form.cleaned_data["outcome"],
                answer=form.cleaned_data["answer"],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            messages.success(request, _("The answer is recorded and the person is told."))
            return redirect("substitution_agent:detail", pk=found.pk)
    return _detail(request, found, answer_form=form)


@require_GET
@login_required
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer letter for the post (PDF); printing it is recorded."""
    found = _request_or_404(request, pk)
    if found.is_open:
        raise Http404
    body = letter_pdf(found)
    services.substitution_letter_record(actor=request.user, request=found)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.tracking}.pdf"'
    return response
