"""Random sequences of join / publish / allocate / accept / decline / expire /
cancel / close / lift / suspend / lift a suspension / resume keep the waiting
list's invariants.

A Hypothesis state machine drives the real services against PostgreSQL (one
procedure given out by its list at two sites, five people, an agent of both
sites, the supervisor). **suspend** and **lift_suspension** are the abuse
report's services (``backoffice.abuse.services.account_suspend``,
``account_suspension_lift``, by the supervisor). The people act with their
accounts as loaded when the example starts, as a request that passed the
login check before a suspension would: while suspended, their own joins and
answers to offers must be refused (``AccountSuspended``), and the agent acts
for them (joins, answers, cancels, resumes: a suspension closes an account,
not the person's access to the counter). After every step the database must
hold, on its own:

- **no seat leaked**: on every slot ``held + booked + free = capacity`` with
  ``free >= 0``, ``booked`` = its active appointments and ``held`` = its open
  offers (+ the freed seats of an open procedure waiting to be shown: none in
  a list's pool, counted anyway);
- **no seat offered twice**: every open offer belongs to a waiting entry, one
  per entry, and a slot's open offers never exceed its seats not booked;
- **one live thing per person and procedure**: an identity never holds two of
  (open offer, active appointment) for the procedure;
- **nothing a suspension released is in force again**: no entry in force nor
  appointment to come of a suspended account from before its suspension, and
  the accounts suspended are those the machine suspended and did not lift.

And at each allocation run, **the order rule**: for every seat offered, no
entry earlier in the list's order (``allocation.rules.list_key``) that fits it
(``rules.fits``), did not pass on it (declined it or let it expire) and could
take an offer (waiting, no open offer, no active appointment) was left without
one.

The allocation is called as a step of its own (what the task after a commit
or the beat's sweep does): the services' after-commit runs do not fire inside
the test's transaction, so the machine also reaches states where seats wait
for the next run, as they do when a task is late. Each example runs inside a
savepoint that ``teardown`` rolls back.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.errors import AccountSuspended
from accounts.models import Role, User
from allocation import errors, rules
from allocation.models import ENTRY_IN_FORCE, EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.services import (
    offer_accept,
    offer_decline,
    offers_allocate,
    offers_expire_due,
    waitlist_entry_resume,
    waitlist_join,
)
from backoffice import errors as backoffice_errors
from backoffice.abuse.services import account_suspend, account_suspension_lift
from booking import errors as booking_errors
from booking.models import (
    ACTIVE_STATUSES,
    AllocationMode,
    AllocationPolicy,
    Appointment,
    Closure,
    ClosureKind,
    Slot,
)
from booking.services import (
    OpeningRange,
    appointment_cancel,
    closure_create,
    closure_lift,
    slots_publish,
)
from tests import factories
from tests.helpers import waitlist_invariants as invariants

PEOPLE = 5
SITES = 2
PICK = st.integers(0, 50)  # an index into whatever list the step chooses from
REASON = "Rendez-vous revendus."


def _pick(items: list, index: int):
    return items[index % len(items)]


class WaitlistMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.sites = [factories.SiteFactory() for _ in range(SITES)]
        self.procedure = factories.ProcedureFactory()
        AllocationPolicy.objects.create(procedure=self.procedure, mode=AllocationMode.QUEUE)
        self.agent = factories.AgentFactory(sites=self.sites)
        self.supervisor = factories.UserFactory(role=Role.SUPERVISOR)
        self.people = [factories.ApplicantFactory() for _ in range(PEOPLE)]
        self.published: set[tuple[int, datetime]] = set()
        self.suspended: set[int] = set()  # the people whose account is suspended

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- reads -------------------------------------------------------------------

    def _entry_in_force(self, person: int) -> WaitlistEntry | None:
        return WaitlistEntry.objects.filter(
            applicant=self.people[person], procedure=self.procedure, status__in=ENTRY_IN_FORCE
        ).first()

    def _active(self, person: int) -> list[Appointment]:
        return list(
            Appointment.objects.filter(
                applicant=self.people[person],
                procedure=self.procedure,
                status__in=ACTIVE_STATUSES,
            ).order_by("pk")
        )

    def _suspended_users(self) -> set[int]:
        return {self.people[person].user_id for person in self.suspended}

    def _open_offers(self) -> list[Offer]:
        return list(
            Offer.objects.filter(status=OfferStatus.OPEN)
            .select_related("applicant__user")
            .order_by("pk")
        )

    # --- steps -------------------------------------------------------------------

    @initialize(
        wishes=st.lists(
            st.tuples(
                st.sets(st.integers(0, SITES - 1), min_size=1),
                st.sets(st.integers(1, 7), max_size=2),
            ),
            min_size=2,
            max_size=PEOPLE,
        )
    )
    def a_list_to_start_with(self, wishes):
        """Most of the people waiting from the start (the list is why a
        procedure is given out this way); others join as the steps go."""
        for person, (sites, excluded) in enumerate(wishes):
            self.join(person, sites, excluded)

    @rule(
        person=st.integers(0, PEOPLE - 1),
        sites=st.sets(st.integers(0, SITES - 1), min_size=1),
        excluded=st.sets(st.integers(1, 7), max_size=2),
        by_staff=st.booleans(),
    )
    def join(self, person, sites, excluded, by_staff=False):
        applicant = self.people[person]
        if person in self.suspended and not by_staff:
            expected = AccountSuspended
        elif self._active(person):
            expected = booking_errors.AlreadyBooked
        elif self._entry_in_force(person) is not None:
            expected = errors.AlreadyWaiting
        else:
            expected = None
        event(f"join: {expected.code if expected else 'done'}")
        call = dict(
            actor=self.agent if by_staff else applicant.user,
            applicant=applicant,
            procedure=self.procedure,
            site_ids=[self.sites[i].pk for i in sorted(sites)],
            weekdays_excluded=sorted(excluded),
        )
        if expected is None:
            waitlist_join(**call)
        else:
            with pytest.raises(expected):
                waitlist_join(**call)

    @rule(site=st.integers(0, SITES - 1), day=st.integers(2, 9), counters=st.integers(1, 3))
    def publish(self, site, day, counters):
        """Capacity of the list's pool (the procedure is given out by its list):
        one 20-minute time at 09:00, ``day`` days from now."""
        start = datetime.combine(timezone.localdate() + timedelta(days=day), time(9))
        result = slots_publish(
            actor=self.agent,
            site=self.sites[site],
            procedure=self.procedure,
            date_from=start.date(),
            date_to=start.date(),
            weekdays=range(7),
            opening_ranges=[OpeningRange(time(9), time(9, 20))],
            counters=counters,
        )
        key = (site, start.date())
        assert result.created == (0 if key in self.published else 1)
        self.published.add(key)

    @rule()
    def allocate(self):
        offers = offers_allocate(procedure_id=self.procedure.pk)
        event(f"allocate: {min(len(offers), 3)}+ offers")
        self._order_rule_held(offers)

    @precondition(lambda self: Offer.objects.filter(status=OfferStatus.OPEN).exists())
    @rule(index=PICK, by_staff=st.booleans())
    def accept(self, index, by_staff):
        offer = _pick(self._open_offers(), index)
        actor = self.agent if by_staff else offer.applicant.user
        if not by_staff and offer.applicant.user_id in self._suspended_users():
            with pytest.raises(AccountSuspended):
                offer_accept(actor=actor, offer=offer.pk)
            return
        appointment = offer_accept(actor=actor, offer=offer.pk)
        assert (appointment.slot_id, appointment.applicant_id) == (
            offer.slot_id,
            offer.applicant_id,
        )

    @precondition(lambda self: Offer.objects.filter(status=OfferStatus.OPEN).exists())
    @rule(index=PICK, by_staff=st.booleans())
    def decline(self, index, by_staff):
        offer = _pick(self._open_offers(), index)
        declines = offer.entry.declines
        queued_at = offer.entry.queued_at
        if not by_staff and offer.applicant.user_id in self._suspended_users():
            with pytest.raises(AccountSuspended):
                offer_decline(actor=offer.applicant.user, offer=offer.pk)
            return
        offer_decline(actor=self.agent if by_staff else offer.applicant.user, offer=offer.pk)
        entry = WaitlistEntry.objects.get(pk=offer.entry_id)
        assert entry.declines == declines + 1
        assert (entry.queued_at == queued_at) == rules.keeps_place_after_decline(entry.declines)

    @precondition(lambda self: Offer.objects.filter(status=OfferStatus.OPEN).exists())
    @rule(index=PICK)
    def expire(self, index):
        """Time passes until ``offer``'s moment: it and every offer due before it expire."""
        offer = _pick(self._open_offers(), index)
        moment = offer.expires_at + timedelta(microseconds=1)
        due = Offer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=moment).count()
        assert offers_expire_due(now=moment) == due
        offer.refresh_from_db()
        assert offer.status == OfferStatus.EXPIRED

    @precondition(lambda self: Appointment.objects.filter(status__in=ACTIVE_STATUSES).exists())
    @rule(index=PICK)
    def cancel(self, index):
        appointment = _pick(
            list(
                Appointment.objects.filter(status__in=ACTIVE_STATUSES)
                .select_related("applicant__user")
                .order_by("pk")
            ),
            index,
        )
        suspended = appointment.applicant.user_id in self._suspended_users()
        actor = self.agent if suspended else appointment.applicant.user
        appointment_cancel(actor=actor, appointment=appointment)

    @precondition(lambda self: Slot.objects.filter(closure__isnull=True).exists())
    @rule(index=PICK)
    def close(self, index):
        slot = _pick(list(Slot.objects.filter(closure__isnull=True).order_by("pk")), index)
        closure_create(
            actor=self.supervisor,
            site=slot.site,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            kind=ClosureKind.STRIKE,
            reason="Grève",
        )
        slot.refresh_from_db()
        assert slot.closure_id is not None and slot.held == 0

    @precondition(lambda self: Closure.objects.filter(lifted_at__isnull=True).exists())
    @rule(index=PICK)
    def lift(self, index):
        closure = _pick(list(Closure.objects.filter(lifted_at__isnull=True).order_by("pk")), index)
        closure_lift(actor=self.supervisor, closure=closure)

    def _holders(self) -> list[int]:
        """The people who hold an open offer or an active appointment."""
        applicants = set(
            Offer.objects.filter(status=OfferStatus.OPEN).values_list("applicant_id", flat=True)
        ) | set(
            Appointment.objects.filter(status__in=ACTIVE_STATUSES).values_list(
                "applicant_id", flat=True
            )
        )
        return [i for i, applicant in enumerate(self.people) if applicant.pk in applicants]

    @rule(person=st.integers(0, PEOPLE - 1), holding=st.booleans())
    def suspend(self, person, holding):
        """The supervisor suspends the person's account (``holding``: one of
        those who hold an offer or an appointment, if any, the suspensions
        that release seats): their appointments to come cancelled, their
        entries in force left (open offers withdrawn), the seats waiting for
        the next allocation. Their answer to the offer they held, a moment
        late, is refused."""
        holders = self._holders() if holding else []
        if holders:
            person = _pick(holders, person)
        user = User.objects.get(pk=self.people[person].user_id)  # a copy: theirs stays as loaded
        if person in self.suspended:
            event("suspend: already")
            with pytest.raises(backoffice_errors.AccountAlreadySuspended):
                account_suspend(actor=self.supervisor, user=user, reason=REASON)
            return
        appointments = [appointment.reference for appointment in self._active(person)]
        entry = self._entry_in_force(person)
        offers = list(
            Offer.objects.filter(applicant=self.people[person], status=OfferStatus.OPEN)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        event(f"suspend: {len(appointments)} appointments, {len(offers)} offers")
        done = account_suspend(actor=self.supervisor, user=user, reason=REASON)
        self.suspended.add(person)
        assert done.cancelled == appointments
        assert done.entries_left == ([entry.pk] if entry is not None else [])
        assert self._entry_in_force(person) is None and not self._active(person)
        assert set(Offer.objects.filter(pk__in=offers).values_list("status", flat=True)) <= {
            OfferStatus.WITHDRAWN
        }
        for offer in offers:
            with pytest.raises(AccountSuspended):
                offer_accept(actor=self.people[person].user, offer=offer)

    @precondition(lambda self: self.suspended)
    @rule(person=st.integers(0, PEOPLE - 1), suspended=st.booleans())
    def lift_suspension(self, person, suspended):
        """The supervisor lifts the suspension (``suspended``: of one of those
        suspended; else of anyone, refused if not suspended): the person may
        act again; what the suspension released stays released."""
        if suspended:
            person = _pick(sorted(self.suspended), person)
        user = User.objects.get(pk=self.people[person].user_id)
        if person not in self.suspended:
            with pytest.raises(backoffice_errors.AccountNotSuspended):
                account_suspension_lift(actor=self.supervisor, user=user)
            return
        lifted = account_suspension_lift(actor=self.supervisor, user=user)
        self.suspended.discard(person)
        assert lifted.is_active and lifted.suspended_at is None

    @rule(person=st.integers(0, PEOPLE - 1))
    def resume(self, person):
        entry = self._entry_in_force(person)
        if entry is None or entry.status != EntryStatus.PAUSED:
            return
        actor = self.agent if person in self.suspended else self.people[person].user
        waitlist_entry_resume(actor=actor, entry=entry.pk)

    # --- the order rule, at each allocation; the invariants after every step -----------
    # (tests/helpers/waitlist_invariants.py: the soak checks the same after its traffic)

    def _order_rule_held(self, offers: list[Offer]) -> None:
        problems = invariants.order_problems(offers)
        assert not problems, problems

    @invariant()
    def no_seat_leaked(self):
        problems = invariants.seat_problems()
        assert not problems, problems

    @invariant()
    def no_seat_offered_twice(self):
        problems = invariants.offer_problems()
        assert not problems, problems

    @invariant()
    def one_live_offer_or_appointment_per_person_and_procedure(self):
        problems = invariants.live_problems() + invariants.entry_problems()
        assert not problems, problems

    @invariant()
    def nothing_a_suspension_released_in_force_again(self):
        suspended = set(
            User.objects.filter(suspended_at__isnull=False).values_list("pk", flat=True)
        )
        assert suspended == self._suspended_users(), (suspended, self._suspended_users())
        if suspended:
            problems = invariants.suspension_problems()
            assert not problems, problems


@pytest.mark.django_db
def test_random_waitlist_sequences_keep_the_invariants():
    run_state_machine_as_test(
        WaitlistMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the work tree
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
