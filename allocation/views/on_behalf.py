"""Someone's waiting-list entries, the staff's pages: shown on the person's page,
joining for them, leaving, resuming, and answering their open offer. Shared by
the mediators' console (``mediation.views.waitlist``) and the agents' back
office (``backoffice.views.people_waitlist``), each with its own
``WaitlistPages`` (who the person may be, which sites, the base template, the
channel); their thin views add who may come (the decorators) and the rate
limits, as ``booking.views.on_behalf`` does for booking.

Everything goes through the waiting list's services with the member of staff
as the actor: ``can_act_for`` at every site of the entry, and what the
receivers of ``allocation.signals.acting_for_entry`` add (mediation: the
person's consent for the waiting list). Accepting an offer books, which asks
``booking.signals.acting_for`` (mediation: the booking consent, the daily caps).
An entry or offer the staff member may not act on answers 404, like a missing
one; a refusal is a message on the person's page (``core.views.domain_errors``).
Agents and supervisors also record when the person's residence permit expires
(the priority class ``PERMIT_EXPIRING``); mediators do not (they have not
checked the permit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation import selectors, services
from allocation.models import ENTRY_IN_FORCE, PriorityClass, WaitlistEntry
from allocation.staff_forms import (
    WEEKDAY_LABELS,
    PermitForm,
    WaitlistChoiceForm,
    WaitlistJoinForm,
)
from allocation.views.entry_choice import entry_choice_saved
from booking import rules as booking_rules
from booking.models import AllocationMode, Applicant, Procedure, Site
from core.errors import DomainError
from core.views import domain_error_message


@dataclass(frozen=True)
class WaitlistPages:
    """One staff's pages for someone's waiting-list entries.

    ``namespace`` names the URLs (``<namespace>:waitlist_join``...), ``base``
    the template the pages extend; ``person(request, pk)`` gives the person the
    staff member may see, else raises 404; ``context(request, person)`` what
    every page shows of the person. ``sites(request)``: the sites they act at
    (``None``: every active site); ``with_permit``: may record the permit's
    expiry. ``may_act(request, person)``: whether to offer the actions (the
    console: a consent for the waiting list in force; the services decide).
    """

    namespace: str
    base: str
    channel: str
    person: Callable[[HttpRequest, int], Applicant]
    context: Callable[[HttpRequest, Applicant], dict]
    sites: Callable[[HttpRequest], QuerySet[Site]] | None = None
    with_permit: bool = False
    may_act: Callable[[HttpRequest, Applicant], bool] | None = None

    # --- Helpers ---------------------------------------------------------------------

    def _url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def _to_person_page(self, applicant: Applicant) -> HttpResponse:
        return redirect(self._url("person", applicant.pk))

    def person_fallback(self, request: HttpRequest, pk: int, *args, **kwargs) -> str:
        return self._url("person", pk)

    def _my_site_ids(self, request: HttpRequest) -> set[int] | None:
        if self.sites is None:
            return None
        return set(self.sites(request).values_list("pk", flat=True))

    def _entry(self, request: HttpRequest, applicant: Applicant, entry_id: int) -> WaitlistEntry:
        """The person's entry the staff member may act on (every site of it), else 404."""
        entry = selectors.entry_for(request.user, entry_id)
        if entry is None or entry.applicant_id != applicant.pk:
            raise Http404
        return entry

    def _offer_id(self, request: HttpRequest, applicant: Applicant, offer_id: int) -> int:
        offer = selectors.offer_for(request.user, offer_id)
        if offer is None or offer.applicant_id != applicant.pk:
            raise Http404
        return offer.pk

    def queue_choices(
        self, request: HttpRequest
    ) -> tuple[list[tuple[int, str]], list[tuple[int, str]], dict[int, list[int]]]:
        """The active procedures given out by a list at one of the staff member's
        sites, those sites, and each procedure's sites. Three queries."""
        mine = self._my_site_ids(request)
        sites = [
            site
            for site in Site.objects.filter(is_active=True).order_by("name")
            if mine is None or site.pk in mine
        ]
        procedures = list(Procedure.objects.filter(is_active=True).order_by("name"))
        modes = booking_rules.allocation_modes([p.pk for p in procedures])
        by_procedure: dict[int, list[int]] = {}
        for procedure in procedures:
            listed = [
                site.pk
                for site in sites
                if booking_rules.allocation_mode(procedure.pk, site.pk, modes=modes)
                == AllocationMode.QUEUE
            ]
            if listed:
                by_procedure[procedure.pk] = listed
        used = {pk for pks in by_procedure.values() for pk in pks}
        return (
            [(p.pk, p.name) for p in procedures if p.pk in by_procedure],
            [(site.pk, site.name) for site in sites if site.pk in used],
            by_procedure,
        )

    # --- On the person's page --------------------------------------------------------

    def person_context(self, request: HttpRequest, applicant: Applicant) -> dict:
        """What the person's page shows of their list: their entries in force
        (place, estimate, sites, days, status, open offer), each with whether
        the staff member may act on it (an agent: every site of it theirs)."""
        entries = WaitlistEntry.objects.filter(
            applicant=applicant, status__in=ENTRY_IN_FORCE
        ).select_related("procedure")
        mine = self._my_site_ids(request)
        if mine is not None:
            entries = entries.filter(site_ids__overlap=sorted(mine))
        entries = list(entries.order_by("joined_at", "pk"))
        site_names = dict(
            Site.objects.filter(
                pk__in={pk for entry in entries for pk in entry.site_ids}
            ).values_list("pk", "name")
        )
        now = timezone.now()
        rows = []
        for entry in entries:
            view = selectors.entry_view(entry, now=now)
            rows.append(
                {
                    "view": view,
                    "entry": entry,
                    "offer": view.offer,
                    "sites": [site_names.get(pk, "?") for pk in entry.site_ids],
                    "days_excluded": [WEEKDAY_LABELS[day] for day in entry.weekdays_excluded],
                    "may_act": mine is None or set(entry.site_ids) <= mine,
                    "has_priority": entry.priority_class != PriorityClass.NONE,
                }
            )
        return {
            "waitlist_rows": rows,
            "waitlist_namespace": self.namespace,
            "waitlist_with_permit": self.with_permit,
            "waitlist_may_act": self.may_act is None or self.may_act(request, applicant),
        }

    # --- Joining ---------------------------------------------------------------------

    def join(self, request: HttpRequest, pk: int) -> HttpResponse:
        applicant = self.person(request, pk)
        procedures, sites, by_procedure = self.queue_choices(request)
        form = WaitlistJoinForm(
            request.POST if request.method == "POST" else None,
            procedures=procedures,
            sites=sites,
            with_permit=self.with_permit,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.waitlist_join(
                    actor=request.user,
                    applicant=applicant,
                    procedure=Procedure.objects.get(pk=data["procedure"]),
                    site_ids=data["sites"],
                    weekdays_excluded=data["weekdays_excluded"],
                    permit_expires_on=data.get("permit_expires_on"),
                    channel=self.channel,
                )
            except DomainError as exc:
                form.add_error(None, domain_error_message(exc))
            else:
                messages.success(
                    request,
                    _("%(name)s is on the waiting list for %(procedure)s.")
                    % {
                        "name": f"{applicant.surname.upper()} {applicant.given_names}",
                        "procedure": entry.procedure.name,
                    },
                )
                return self._to_person_page(applicant)
        return render(
            request,
            "allocation/staff/join.html",
            {
                **self.context(request, applicant),
                "base_template": self.base,
                "form": form,
                "has_choices": bool(procedures),
                "queue_sites": [
                    {
                        "name": name,
                        "sites": [dict(sites).get(site_id) for site_id in by_procedure[p_pk]],
                    }
                    for p_pk, name in procedures
                ],
                "namespace": self.namespace,
            },
        )

    # --- Changing the places and days, keeping the place -----------------------------

    def change(self, request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
        """The sites and days of an entry in force, changed without losing its
        place (``services.waitlist_entry_change``): the sites offered are those
        where the list gives the procedure out, among the staff member's."""
        applicant = self.person(request, pk)
        entry = self._entry(request, applicant, entry_id)
        if not entry.in_force:
            raise Http404
        mine = self._my_site_ids(request)
        sites = [
            (site.pk, site.name)
            for site in services.queue_sites(entry.procedure)
            if mine is None or site.pk in mine
        ]
        form = WaitlistChoiceForm(
            request.POST if request.method == "POST" else None,
            sites=sites,
            initial={"sites": entry.site_ids, "weekdays_excluded": entry.weekdays_excluded},
        )
        if (
            request.method == "POST"
            and form.is_valid()
            and entry_choice_saved(form, actor=request.user, entry_id=entry.pk)
        ):
            messages.success(
                request,
                _(
                    "The places and days for %(procedure)s are changed; the place in the "
                    "list is kept."
                )
                % {"procedure": entry.procedure.name},
            )
            return self._to_person_page(applicant)
        return render(
            request,
            "allocation/staff/change.html",
            {
                **self.context(request, applicant),
                "base_template": self.base,
                "form": form,
                "entry": entry,
                "offer": selectors.open_offer_of(entry),
                "has_choices": bool(sites),
                "namespace": self.namespace,
            },
        )

    # --- Leaving, resuming, the permit -----------------------------------------------

    def leave(self, request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
        applicant = self.person(request, pk)
        entry = self._entry(request, applicant, entry_id)
        services.waitlist_leave(actor=request.user, entry=entry.pk)
        messages.success(
            request,
            _("The person has left the waiting list for %(procedure)s.")
            % {"procedure": entry.procedure.name},
        )
        return self._to_person_page(applicant)

    def resume(self, request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
        applicant = self.person(request, pk)
        entry = self._entry(request, applicant, entry_id)
        services.waitlist_entry_resume(actor=request.user, entry=entry.pk)
        messages.success(
            request,
            _("The entry for %(procedure)s waits again, in the place it had.")
            % {"procedure": entry.procedure.name},
        )
        return self._to_person_page(applicant)

    def permit(self, request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
        if not self.with_permit:
            raise Http404
        applicant = self.person(request, pk)
        entry = self._entry(request, applicant, entry_id)
        if not entry.in_force:
            raise Http404
        form = PermitForm(
            request.POST if request.method == "POST" else None,
            initial={"permit_expires_on": entry.permit_expires_on},
        )
        if request.method == "POST" and form.is_valid():
            updated = services.waitlist_entry_permit_set(
                actor=request.user,
                entry=entry.pk,
                permit_expires_on=form.cleaned_data["permit_expires_on"],
            )
            messages.success(
                request,
                _("Recorded. The entry's priority: %(priority)s.")
                % {"priority": updated.get_priority_class_display()},
            )
            return self._to_person_page(applicant)
        return render(
            request,
            "allocation/staff/permit.html",
            {
                **self.context(request, applicant),
                "base_template": self.base,
                "form": form,
                "entry": entry,
                "namespace": self.namespace,
            },
        )

    # --- Answering an offer ----------------------------------------------------------

    def offer_accept(self, request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
        applicant = self.person(request, pk)
        offer = self._offer_id(request, applicant, offer_id)
        appointment = services.offer_accept(actor=request.user, offer=offer, channel=self.channel)
        messages.success(
            request,
            _("The offer is accepted: the appointment is booked. Its reference is %(reference)s.")
            % {"reference": appointment.reference},
        )
        return self._to_person_page(applicant)

    def offer_decline(self, request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
        applicant = self.person(request, pk)
        offer = self._offer_id(request, applicant, offer_id)
        services.offer_decline(actor=request.user, offer=offer)
        messages.success(request, _("The offer is declined: the seat goes to the next person."))
        return self._to_person_page(applicant)
