"""The applicant's waiting-list pages and the offer's link page.

- ``mine``: the person's entries in force (their place, an honest estimate),
  their open offers and the past ones;
- ``join``: the form (the sites the list gives out, the days they cannot come),
  the order rule and what happens next;
- ``leave`` (a confirmation, then POST), ``resume`` (POST), ``change`` (the
  places and days, the place in the list kept);
- ``offer``: one of their offers, accepted or declined (POST);
- ``offer_link``: the page behind the link the offer's messages carry. No
  login: the token is the authority (``allocation.links``), so a walk-in
  without an account answers too. A bad, tampered or unknown token answers
  the same 404. GET never changes anything (link previews fetch it).

Every change goes through ``allocation.services``; a refusal is a
``DomainError`` shown in the person's language, nothing changed. What the
person may not see answers exactly like what does not exist (404).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import is_verified
from allocation import links, rules, selectors, services
from allocation.forms import WEEKDAY_CHOICES, WaitlistJoinForm
from allocation.models import ENTRY_IN_FORCE, EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.views.entry_choice import entry_choice_saved
from booking import errors as booking_errors
from booking.models import Applicant, Procedure, Site
from booking.selectors import active_by_procedure
from booking.views.common import applicant_of, applicant_required, bookable_procedure, with_query
from core.antibot import antibot_check
from core.errors import DomainError
from core.ratelimit import ratelimited
from core.views import domain_error_message, domain_errors

DECLINED = gettext_noop("You declined the offer: the time goes to the next person.")


def _mine_url(*_args, **_kwargs) -> str:
    return reverse("allocation:mine")


def _sites_by_id(entries) -> dict[int, Site]:
    ids = {site_id for entry in entries for site_id in entry.site_ids}
    return Site.objects.in_bulk(sorted(ids)) if ids else {}


def _offer_state(offer: Offer, now) -> str:
    """What a page says of ``offer``: ``open``, ``expired`` (also an open one
    past its moment that the sweep has not ended yet), or its status."""
    if offer.status == OfferStatus.OPEN:
        return "open" if offer.expires_at > now else "expired"
    return str(offer.status)


# --- My waiting list -----------------------------------------------------------------


@require_GET
@applicant_required
def mine(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    views = [
        selectors.entry_view(entry, now=now) for entry in selectors.entries_of_user(request.user)
    ]
    sites = _sites_by_id([view.entry for view in views])
    entries = [
        {
            "view": view,
            "entry": view.entry,
            "sites": [sites[pk] for pk in view.entry.site_ids if pk in sites],
            "weekdays": _weekday_names(view.entry.weekdays_excluded),
        }
        for view in views
    ]
    offers = list(selectors.offers_of_user(request.user)[:50])
    open_offers = [offer for offer in offers if _offer_state(offer, now) == "open"]
    past = [offer for offer in offers if offer not in open_offers]
    for offer in past:
        offer.state = _offer_state(offer, now)
    return render(
        request,
        "allocation/mine.html",
        {"entries": entries, "open_offers": open_offers, "past_offers": past, "now": now},
    )


def _weekday_names(days) -> list[str]:
    names = dict(WEEKDAY_CHOICES)
    return [str(names[str(day)]) for day in sorted(days) if str(day) in names]


# --- Joining -------------------------------------------------------------------------


def _join_refusal(request: HttpRequest, procedure: Procedure) -> HttpResponse | None:
    """Where a person who may not join now goes, told why: not verified, no
    identity yet, an active appointment for the procedure, already on its list."""
    if not is_verified(request.user):
        messages.info(request, booking_errors.AccountNotVerified.default_message)
        return redirect("accounts:verify")
    applicant = applicant_of(request.user)
    if applicant is None:
        messages.info(request, _("Enter your identity first: the appointment will be in its name."))
        return redirect(with_query(reverse("booking:identity"), next=request.get_full_path()))
    appointment = active_by_procedure(applicant).get(procedure.pk)
    if appointment is not None:
        messages.info(
            request,
            _("You already have an appointment for this procedure: here it is."),
        )
        return redirect("booking:appointment_detail", reference=appointment.reference)
    if WaitlistEntry.objects.filter(
        applicant=applicant, procedure=procedure, status__in=ENTRY_IN_FORCE
    ).exists():
        messages.info(request, _("You are already on the waiting list for this procedure."))
        return redirect("allocation:mine")
    return None


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("waitlist_join")  # the API's joins too: one budget
def join(request: HttpRequest, procedure: str) -> HttpResponse:
    procedure_obj = bookable_procedure(procedure)
    sites = services.queue_sites(procedure_obj)
    if not sites:
        # Nothing of it is given out by a list: the calendar is the way.
        return redirect("booking:sites", procedure=procedure_obj.slug)
    refusal = _join_refusal(request, procedure_obj)
    if refusal is not None:
        return refusal
    form = WaitlistJoinForm(request.POST if request.method == "POST" else None, sites=sites)
    if request.method == "POST":
        entry = join_submitted(
            request, form, applicant=request.user.applicant, procedure=procedure_obj
        )
        if entry is not None:
            messages.success(request, _("You are on the waiting list. Your place is shown below."))
            return redirect("allocation:mine")
    return render(
        request,
        "allocation/join.html",
        {
            "procedure": procedure_obj,
            "form": form,
            "order_rule": rules.order_rule_text(),
            "hold_hours": settings.OFFER_HOLD_HOURS,
            "pause_after": settings.WAITLIST_PAUSE_AFTER_EXPIRIES,
        },
    )


def join_submitted(
    request: HttpRequest, form: WaitlistJoinForm, *, applicant: Applicant, procedure: Procedure
) -> WaitlistEntry | None:
    """The join form's POST, all of it: the checks of the request (the place of
    the anti-bot proof-of-work: one call here), the form, the service. ``None``
    and the form's errors when refused: nothing changed."""
    if not form.is_valid():
        return None
    if applicant.user_id == request.user.pk and (refused := antibot_check(request)) is not None:
        # A person joining themselves solves the proof-of-work (or waits without
        # JavaScript), as for a booking in the calendar; staff joining someone do not.
        form.add_error(None, domain_error_message(refused))
        return None
    try:
        return services.waitlist_join(
            actor=request.user,
            applicant=applicant,
            procedure=procedure,
            site_ids=form.cleaned_data["sites"],
            weekdays_excluded=form.cleaned_data["weekdays_excluded"],
        )
    except DomainError as exc:
        form.add_error(None, domain_error_message(exc))
        return None


# --- Leaving, resuming ---------------------------------------------------------------


def _my_entry(request: HttpRequest, pk: int) -> WaitlistEntry:
    """One of the user's entries in force; anyone else's is a 404, like none."""
    entry = selectors.entry_for(request.user, pk)
    if entry is None or not entry.in_force:
        raise Http404
    return entry


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")  # as the API, like cancelling
@domain_errors(fallback=_mine_url)
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _my_entry(request, pk)
    if request.method == "POST":
        services.waitlist_leave(actor=request.user, entry=entry.pk)
        messages.success(request, _("You have left the waiting list."))
        return redirect("allocation:mine")
    return render(
        request,
        "allocation/leave.html",
        {"entry": entry, "offer": selectors.open_offer_of(entry)},
    )


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")  # as the API, like cancelling
@domain_errors(fallback=_mine_url)
def change(request: HttpRequest, pk: int) -> HttpResponse:
    """The places and days of an entry, changed without losing its place."""
    entry = _my_entry(request, pk)
    sites = services.queue_sites(entry.procedure)
    if not sites:
        messages.info(request, _("This procedure is no longer given out by a waiting list."))
        return redirect("allocation:mine")
    form = WaitlistJoinForm(
        request.POST if request.method == "POST" else None,
        sites=sites,
        initial={
            "sites": [str(site_id) for site_id in entry.site_ids],
            "weekdays_excluded": [str(day) for day in entry.weekdays_excluded],
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and entry_choice_saved(form, actor=request.user, entry_id=entry.pk)
    ):
        messages.success(
            request, _("Your places and days are changed; your place in the list is kept.")
        )
        return redirect("allocation:mine")
    return render(
        request,
        "allocation/change.html",
        {"entry": entry, "form": form, "offer": selectors.open_offer_of(entry)},
    )


@require_POST
@applicant_required
@ratelimited("booking")  # as the API, like cancelling
@domain_errors(fallback=_mine_url)
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _my_entry(request, pk)
    services.waitlist_entry_resume(actor=request.user, entry=entry.pk)
    messages.success(request, _("Thank you: you are waiting again, in the place you had."))
    return redirect("allocation:mine")


# --- An offer (the person's own, logged in) ------------------------------------------


def _offer_url(request: HttpRequest, pk: int) -> str:
    return reverse("allocation:offer", args=[pk])


@require_http_methods(["GET", "POST"])
@applicant_required
@ratelimited("booking")  # as the API, like cancelling
@domain_errors(fallback=_offer_url)
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.offer_for(request.user, pk)
    if found is None:
        raise Http404
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer == "accept":
            appointment = services.offer_accept(actor=request.user, offer=found.pk)
            messages.success(request, _("Your appointment is booked."))
            return redirect("booking:appointment_detail", reference=appointment.reference)
        if answer == "decline":
            services.offer_decline(actor=request.user, offer=found.pk)
            messages.success(request, _(DECLINED))
            return redirect("allocation:mine")
        messages.error(request, _("Choose to accept or to decline the offer."))
        return redirect("allocation:offer", pk=found.pk)
    return _offer_page(
        request,
        found,
        template="allocation/offer.html",
        confirm_decline="decline" in request.GET,
    )


def _offer_page(
    request: HttpRequest, found: Offer, *, template: str, confirm_decline: bool, **extra
) -> HttpResponse:
    now = timezone.now()
    state = _offer_state(found, now)
    return render(
        request,
        template,
        {
            "offer": found,
            "slot": found.slot,
            "site": found.slot.site,
            "procedure": found.procedure,
            "state": state,
            "confirm_decline": confirm_decline and state == "open",
            "keeps_place": rules.keeps_place_after_decline(found.entry.declines + 1),
            **extra,
        },
    )


# --- The offer's link (no login: the token is the authority) -------------------------


def _offer_of_token(token: str) -> Offer:
    found = links.offer_from_token(token)
    if found is None:
        raise Http404
    return found


def _link_url(request: HttpRequest, token: str) -> str:
    return reverse("allocation:offer_link", args=[token])


@require_http_methods(["GET", "POST"])
@ratelimited("offer_link", methods=("GET", "POST"))
@domain_errors(fallback=_link_url)
def offer_link(request: HttpRequest, token: str) -> HttpResponse:
    found = _offer_of_token(token)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer == "accept":
            services.offer_accept_by_link(offer=found.pk)
            messages.success(request, _("Your appointment is booked."))
        elif answer == "decline":
            services.offer_decline_by_link(offer=found.pk)
            messages.success(request, _(DECLINED))
        elif answer == "resume":
            services.waitlist_entry_resume_by_link(offer=found)
            messages.success(request, _("Thank you: you are waiting again, in the place you had."))
        else:
            messages.error(request, _("Choose to accept or to decline the offer."))
        return redirect("allocation:offer_link", token=token)
    entry = found.entry
    last = entry.offers.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    return _offer_page(
        request,
        found,
        template="allocation/offer_link.html",
        confirm_decline="decline" in request.GET,
        token=token,
        may_resume=entry.status == EntryStatus.PAUSED and last == found.pk,
        own_account=request.user.is_authenticated and found.applicant.user_id == request.user.pk,
    )
