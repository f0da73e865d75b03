"""Booking for someone else, the staff's pages: procedure → place → week and day
→ confirm; and cancelling or moving one of the person's appointments. Shared
by the mediators' console (``mediation.views.appointments``) and the agents'
back office (``backoffice.views.people_booking``), each with its own
``OnBehalfPages``: who the person may be, which sites, the templates, the
channel; their thin views add who may come (the decorators) and the rate
limits.

Everything goes through the ordinary booking services with the member of
staff as the actor: the same rules as online (one active appointment per
person and procedure, the identity copied), plus what the receivers of
``booking.signals.acting_for`` add (mediation: a valid consent, the daily
caps). The window of times offered is the rulebook's for the actor
(``booking.rules.books_at_counter``: agents and supervisors the counter's, any
published time not yet started with no horizon; mediators the online one).
A refusal is a ``DomainError`` shown as a message (``core.views.domain_errors``);
a slot, site or appointment the staff member may not see answers 404, as a
missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.validators import slug_re
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking import rules, services
from booking.calendar import (
    build_week,
    day_slots,
    parse_date,
    reschedule_choice,
    sites_with_availability,
)
from booking.models import Applicant, Appointment, Procedure, Site, Slot
from booking.permissions import allowed_pools
from booking.selectors import active_by_procedure, availability
from booking.views.common import with_query


def _procedure(slug: str, *, listed_at: QuerySet[Site] | None = None) -> Procedure:
    """The active procedure ``slug``, else 404. ``listed_at``: annotated in the same
    query with ``given_by_list``, whether the waiting list gives it out at one of
    those sites (``rules.given_by_list_at``)."""
    if not slug_re.match(slug):
        raise Http404
    procedures = Procedure.objects.select_related("horizon")
    if listed_at is not None:
        procedures = procedures.annotate(given_by_list=rules.given_by_list_at(listed_at))
    return get_object_or_404(procedures, slug=slug, is_active=True)


def _pools(request: HttpRequest) -> frozenset[str]:
    return allowed_pools(request.user)


def _counter(request: HttpRequest) -> bool:
    return rules.books_at_counter(request.user)


@dataclass(frozen=True)
class OnBehalfPages:
    """One staff's pages for booking on someone's behalf.

    ``namespace`` names the URLs (``<namespace>:book_days``...), ``templates``
    the folder of the templates, ``channel`` the appointments' channel.
    ``person(request, pk)`` and ``appointment(request, person, reference)`` give
    the person and their appointment the staff member may see, else raise 404;
    ``context(request, person)`` what every page shows of the person;
    ``by_pool(slots)`` a day's free times grouped as the staff look at them.
    ``sites(request)``: the sites they book at (``None``: every active site);
    a site or slot elsewhere answers 404. ``found_nothing(request, person,
    procedure, site slugs)``: told when a search for the person found nothing.
    """

    namespace: str
    templates: str
    channel: str
    person: Callable[[HttpRequest, int], Applicant]
    appointment: Callable[[HttpRequest, Applicant, str], Appointment]
    context: Callable[[HttpRequest, Applicant], dict]
    by_pool: Callable[[list[Slot]], list[dict]]
    sites: Callable[[HttpRequest], QuerySet[Site]] | None = None
    found_nothing: Callable[[HttpRequest, Applicant, Procedure, tuple[str, ...]], None] | None = (
        None
    )

    # --- Helpers ---------------------------------------------------------------------

    def _url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def _render(self, request: HttpRequest, template: str, applicant: Applicant, **context):
        return render(
            request,
            f"{self.templates}/{template}",
            {**self.context(request, applicant), **context},
        )

    def _to_person_page(self, applicant: Applicant) -> HttpResponse:
        return redirect(self._url("person", applicant.pk))

    def _site(self, request: HttpRequest, slug: str) -> Site:
        """A site the staff member books at, else 404 (like a site that does not exist)."""
        if not slug_re.match(slug):
            raise Http404
        if self.sites is None:
            return get_object_or_404(Site, slug=slug, is_active=True)
        site = self.sites(request).filter(slug=slug).first()
        if site is None:
            raise Http404
        return site

    def _acting_sites(self, request: HttpRequest) -> QuerySet[Site]:
        """The sites the staff member acts at (every active one when unrestricted), unread."""
        if self.sites is None:
            return Site.objects.filter(is_active=True)
        return self.sites(request)

    def _my_slugs(self, request: HttpRequest) -> set[str] | None:
        if self.sites is None:
            return None
        return set(self.sites(request).values_list("slug", flat=True))

    def slot(self, request: HttpRequest, slot_id: int, **conditions) -> Slot | None:
        """The slot if the staff member may book it (at their sites, and
        ``booking.rules`` lets them see it), else None: it answers as a missing one."""
        slots = Slot.objects.select_related("site", "procedure__horizon").filter(
            pk=slot_id, **conditions
        )
        if self.sites is not None:
            slots = slots.filter(site__in=self.sites(request))
        slot = slots.first()
        if slot is None or rules.slot_hidden(
            slot,
            pools=_pools(request),
            privileged=rules.is_privileged(request.user),
            now=timezone.now(),
        ):
            return None
        return slot

    def _new_slot(self, request: HttpRequest, appointment: Appointment, slot_id: int) -> Slot:
        """The time to move ``appointment`` to, else 404."""
        slot = self.slot(request, slot_id, procedure_id=appointment.procedure_id)
        if slot is None:
            raise Http404
        return slot

    def _days_url(self, applicant_pk: int, procedure: Procedure, site: Site) -> str:
        return self._url("book_days", applicant_pk, procedure.slug, site.slug)

    def _day_url(self, applicant_pk: int, slot: Slot) -> str:
        day = timezone.localdate(slot.starts_at).isoformat()
        return with_query(
            self._days_url(applicant_pk, slot.procedure, slot.site), **{"from": day}, date=day
        )

    def _still_free(
        self, request: HttpRequest, slot: Slot, *, exclude_slot_id: int | None = None
    ) -> bool:
        slots = availability(
            procedure=slot.procedure,
            site_ids=[slot.site_id],
            pools=_pools(request),
            now=timezone.now(),
            counter=_counter(request),
        )
        if exclude_slot_id is not None:
            slots = slots.exclude(pk=exclude_slot_id)
        return slots.filter(pk=slot.pk).exists()

    def _nothing(
        self,
        request: HttpRequest,
        applicant: Applicant,
        procedure: Procedure,
        sites: tuple[str, ...],
    ) -> None:
        if self.found_nothing is not None:
            self.found_nothing(request, applicant, procedure, sites)

    # --- Fallbacks of ``core.views.domain_errors`` -------------------------------------

    def confirm_fallback(self, request: HttpRequest, pk: int, slot_id: int) -> str:
        slot = self.slot(request, slot_id)
        if slot is None:
            return self._url("book_procedures", pk)
        return self._day_url(pk, slot)

    def person_fallback(self, request: HttpRequest, pk: int, *args, **kwargs) -> str:
        return self._url("person", pk)

    def reschedule_fallback(
        self, request: HttpRequest, pk: int, reference: str, slot_id: int
    ) -> str:
        base_url = self._url("appointment_reschedule", pk, reference.upper()[:16])
        slot = self.slot(request, slot_id)
        if slot is None:
            return base_url
        day = timezone.localdate(slot.starts_at).isoformat()
        return with_query(base_url, site=slot.site.slug, **{"from": day}, date=day)

    # --- Booking ---------------------------------------------------------------------

    def book_procedures(self, request: HttpRequest, pk: int) -> HttpResponse:
        applicant = self.person(request, pk)
        active = active_by_procedure(applicant)
        rows = [
            {
                "procedure": procedure,
                "appointment": active.get(procedure.pk),
                "taken": procedure.pk in active,
            }
            for procedure in Procedure.objects.filter(is_active=True).order_by("name")
        ]
        return self._render(request, "book_procedures.html", applicant, rows=rows)

    def book_sites(self, request: HttpRequest, pk: int, procedure: str) -> HttpResponse:
        """The places with free times; when there is none, the other routes
        (``includes/help_routes.html``), the waiting list among them where the
        procedure is given out by one at a site the staff member acts at
        (``listed``: read with the procedure, no query of its own)."""
        applicant = self.person(request, pk)
        procedure_obj = _procedure(procedure, listed_at=self._acting_sites(request))
        found = sites_with_availability(
            procedure=procedure_obj,
            pools=_pools(request),
            now=timezone.now(),
            counter=_counter(request),
        )
        mine = self._my_slugs(request)
        if mine is not None:
            found = [site for site in found if site["site__slug"] in mine]
        if not found:
            self._nothing(request, applicant, procedure_obj, ())
        return self._render(
            request,
            "book_sites.html",
            applicant,
            procedure=procedure_obj,
            sites=found,
            listed=procedure_obj.given_by_list,
        )

    def book_days(self, request: HttpRequest, pk: int, procedure: str, site: str) -> HttpResponse:
        applicant = self.person(request, pk)
        procedure_obj = _procedure(procedure)
        site_obj = self._site(request, site)
        now = timezone.now()
        pools = _pools(request)
        counter = _counter(request)
        week = build_week(
            procedure=procedure_obj,
            site=site_obj,
            requested=parse_date(request.GET.get("from")),
            pools=pools,
            now=now,
            counter=counter,
        )
        day = parse_date(request.GET.get("date"))
        slots = (
            day_slots(
                procedure=procedure_obj,
                site=site_obj,
                day=day,
                pools=pools,
                now=now,
                counter=counter,
            )
            if day
            else []
        )
        if week.nothing_at_site or (day and not slots):
            self._nothing(request, applicant, procedure_obj, (site_obj.slug,))
        base_url = self._days_url(applicant.pk, procedure_obj, site_obj)
        return self._render(
            request,
            "book_days.html",
            applicant,
            procedure=procedure_obj,
            site=site_obj,
            week=week,
            week_url=base_url,
            day_url=base_url,
            day=day,
            groups=self.by_pool(slots),
            slot_url=f"{self.namespace}:book_confirm",
        )

    def book_confirm(self, request: HttpRequest, pk: int, slot_id: int) -> HttpResponse:
        applicant = self.person(request, pk)
        slot = self.slot(request, slot_id)
        if slot is None:
            raise Http404
        if request.method == "POST":
            appointment = services.appointment_book(
                actor=request.user, applicant=applicant, slot_id=slot.pk, channel=self.channel
            )
            messages.success(
                request,
                _("The appointment is booked. Its reference is %(reference)s.")
                % {"reference": appointment.reference},
            )
            return self._to_person_page(applicant)
        if not self._still_free(request, slot):
            messages.error(
                request, _("This time is no longer available. Please choose another one.")
            )
            return redirect(self._day_url(applicant.pk, slot))
        return self._render(
            request,
            "book_confirm.html",
            applicant,
            slot=slot,
            procedure=slot.procedure,
            site=slot.site,
            document_accepted=rules.document_accepted(slot.procedure, applicant.document_type),
            back_url=self._day_url(applicant.pk, slot),
        )

    # --- Cancelling ------------------------------------------------------------------

    def appointment_cancel(self, request: HttpRequest, pk: int, reference: str) -> HttpResponse:
        applicant = self.person(request, pk)
        appointment = self.appointment(request, applicant, reference)
        if request.method == "POST":
            services.appointment_cancel(actor=request.user, appointment=appointment)
            messages.success(
                request,
                _("Appointment %(reference)s is cancelled.") % {"reference": appointment.reference},
            )
            return self._to_person_page(applicant)
        if not rules.changeable(appointment, timezone.now()):
            messages.info(request, _("This appointment can no longer be cancelled."))
            return self._to_person_page(applicant)
        return self._render(
            request,
            "appointment_cancel.html",
            applicant,
            appointment=appointment,
            slot=appointment.slot,
            site=appointment.slot.site,
            procedure=appointment.procedure,
        )

    # --- Rescheduling ----------------------------------------------------------------

    def appointment_reschedule(self, request: HttpRequest, pk: int, reference: str) -> HttpResponse:
        """Choose a new time for the same procedure: a place, a week, a day, a time."""
        applicant = self.person(request, pk)
        appointment = self.appointment(request, applicant, reference)
        now = timezone.now()
        if not rules.changeable(appointment, now):
            messages.info(request, _("This appointment can no longer be changed."))
            return self._to_person_page(applicant)
        mine = self._my_slugs(request)
        query = request.GET
        if mine is not None:
            # Without a ``site`` that is not one of theirs.
            query = {key: request.GET.get(key) for key in ("site", "from", "date")}
            if query["site"] not in mine:
                query.pop("site")
            query = {key: value for key, value in query.items() if value}
        choice = reschedule_choice(
            appointment, pools=_pools(request), query=query, now=now, counter=_counter(request)
        )
        sites = choice.sites
        if mine is not None:
            sites = [each for each in sites if each["site__slug"] in mine]
        base_url = self._url("appointment_reschedule", applicant.pk, appointment.reference)
        return self._render(
            request,
            "appointment_reschedule.html",
            applicant,
            appointment=appointment,
            procedure=appointment.procedure,
            site=choice.site,
            sites=sites,
            week=choice.week,
            week_url=with_query(base_url, site=choice.site.slug),
            day_url=with_query(base_url, site=choice.site.slug),
            base_url=base_url,
            day=choice.day,
            groups=self.by_pool(choice.slots),
        )

    def appointment_reschedule_confirm(
        self, request: HttpRequest, pk: int, reference: str, slot_id: int
    ) -> HttpResponse:
        applicant = self.person(request, pk)
        appointment = self.appointment(request, applicant, reference)
        new_slot = None
        if self.sites is not None:
            # A time at a site that is not theirs answers 404 before anything;
            # elsewhere the service alone decides on a POST (a refusal is a message).
            new_slot = self._new_slot(request, appointment, slot_id)
        if request.method == "POST":
            moved = services.appointment_reschedule(
                actor=request.user, appointment=appointment, new_slot_id=slot_id
            )
            messages.success(
                request,
                _("The appointment is moved. Its reference stays %(reference)s.")
                % {"reference": moved.reference},
            )
            return self._to_person_page(applicant)
        if not rules.changeable(appointment, timezone.now()):
            messages.info(request, _("This appointment can no longer be changed."))
            return self._to_person_page(applicant)
        if new_slot is None:
            new_slot = self._new_slot(request, appointment, slot_id)
        back_url = self.reschedule_fallback(request, applicant.pk, appointment.reference, slot_id)
        if not self._still_free(request, new_slot, exclude_slot_id=appointment.slot_id):
            messages.error(
                request, _("This time is no longer available. Please choose another one.")
            )
            return redirect(back_url)
        return self._render(
            request,
            "appointment_reschedule_confirm.html",
            applicant,
            appointment=appointment,
            old_slot=appointment.slot,
            new_slot=new_slot,
            back_url=back_url,
        )
