"""Real concurrent transactions on PostgreSQL against the booking services.

Each racer runs in its own thread, hence its own database connection; all are
released together by a barrier once connected, so that their transactions
overlap. A lock wait that lasts longer than LOCK_TIMEOUT fails the racer
instead of hanging the suite; PostgreSQL reports a deadlock as an error too,
and every test asserts that no racer ended with an unexpected error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import partial
from time import monotonic, sleep

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.errors import IdentityLocked
from booking import errors
from booking.models import IDENTITY_SNAPSHOT_FIELDS, Applicant, Appointment, AppointmentStatus, Slot
from booking.services import (
    OpeningRange,
    applicant_create,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    identity_correct,
    slots_publish,
)
from tests import factories
from tests.helpers.racing import LOCK_TIMEOUT, kinds, race

pytestmark = pytest.mark.django_db(transaction=True)

JOIN_TIMEOUT = 60.0  # seconds, for all racers together


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """``tests.helpers.racing.race`` with this module's join timeout."""
    return race(calls, join_timeout=JOIN_TIMEOUT)


def _assert_booked_matches_active_appointments() -> None:
    for slot in Slot.objects.all():
        active = slot.appointments.filter(
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
        ).count()
        assert slot.booked == active, f"slot {slot.pk}: booked={slot.booked}, active={active}"
        assert 0 <= slot.booked <= slot.capacity


# --- Capacity --------------------------------------------------------------------------


def test_forty_concurrent_bookings_of_a_three_seat_slot_make_exactly_three(site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=3)
    applicants = factories.ApplicantFactory.create_batch(40)

    outcomes = _race(
        [partial(appointment_book, actor=a.user, applicant=a, slot_id=slot.pk) for a in applicants]
    )

    assert kinds(outcomes) == {"Appointment": 3, "SlotFull": 37}
    slot.refresh_from_db()
    assert slot.booked == 3
    winners = {o.applicant_id for o in outcomes if isinstance(o, Appointment)}
    assert set(Appointment.objects.values_list("applicant_id", flat=True)) == winners
    assert Appointment.objects.filter(slot=slot, status=AppointmentStatus.BOOKED).count() == 3


# --- One active appointment per person and procedure -------------------------------------


def test_same_person_booking_two_slots_at_once_gets_one_and_leaks_no_seat(site, procedure):
    rounds = 12
    for _ in range(rounds):
        person = factories.ApplicantFactory()
        slots = factories.SlotFactory.create_batch(2, site=site, procedure=procedure, capacity=1)

        outcomes = _race(
            [
                partial(appointment_book, actor=person.user, applicant=person, slot_id=s.pk)
                for s in slots
            ]
        )

        assert kinds(outcomes) == {"Appointment": 1, "AlreadyBooked": 1}
        (won,) = [o for o in outcomes if isinstance(o, Appointment)]
        for s in slots:
            s.refresh_from_db()
            assert s.booked == (1 if s.pk == won.slot_id else 0)  # the loser's seat is back
        assert Appointment.objects.filter(identity_key=person.identity_key).count() == 1
    assert Appointment.objects.count() == rounds


def test_a_bot_firing_at_ten_slots_at_once_gets_one(site, procedure):
    person = factories.ApplicantFactory()
    slots = factories.SlotFactory.create_batch(10, site=site, procedure=procedure, capacity=1)

    outcomes = _race(
        [
            partial(appointment_book, actor=person.user, applicant=person, slot_id=s.pk)
            for s in slots
        ]
    )

    assert kinds(outcomes) == {"Appointment": 1, "AlreadyBooked": 9}
    assert sum(Slot.objects.values_list("booked", flat=True)) == 1
    assert Appointment.objects.count() == 1


# --- Rescheduling --------------------------------------------------------------------------


def test_reschedule_race_for_one_seat_moves_one_and_keeps_all_others(site, procedure, agent):
    crowded = factories.SlotFactory(site=site, procedure=procedure, capacity=20)
    last_seat = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    appointments = [
        appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=crowded.pk)
        for _ in range(20)
    ]
    references = {a.pk: a.reference for a in appointments}

    outcomes = _race(
        [
            partial(
                appointment_reschedule,
                actor=a.applicant.user,
                appointment=a,
                new_slot_id=last_seat.pk,
            )
            for a in appointments
        ]
    )

    assert kinds(outcomes) == {"Appointment": 1, "SlotFull": 19}
    (moved,) = [o for o in outcomes if isinstance(o, Appointment)]
    crowded.refresh_from_db()
    last_seat.refresh_from_db()
    assert (crowded.booked, last_seat.booked) == (19, 1)
    for stored in Appointment.objects.all():
        assert stored.status == AppointmentStatus.BOOKED
        assert stored.reference == references[stored.pk]
        if stored.pk == moved.pk:
            assert (stored.slot_id, stored.reschedule_count) == (last_seat.pk, 1)
        else:
            assert (stored.slot_id, stored.reschedule_count) == (crowded.pk, 0)
    _assert_booked_matches_active_appointments()


def test_crossing_reschedules_finish_without_deadlock(site, procedure, agent):
    """Half move A -> B while the other half move B -> A, all at once: slot rows
    are locked in primary-key order, so no transaction waits on another in a cycle.
    Room for all twelve on either slot: whatever order the moves commit in, none
    finds its slot full (the full case is the next test's)."""
    slot_a, slot_b = factories.SlotFactory.create_batch(
        2, site=site, procedure=procedure, capacity=12
    )
    on_a = [
        appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot_a.pk)
        for _ in range(6)
    ]
    on_b = [
        appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot_b.pk)
        for _ in range(6)
    ]
    moves = [(a, slot_b) for a in on_a] + [(b, slot_a) for b in on_b]

    for _ in range(3):  # there and back again, and there once more
        outcomes = _race(
            [
                partial(appointment_reschedule, actor=agent, appointment=appt, new_slot_id=to.pk)
                for appt, to in moves
            ]
        )
        assert kinds(outcomes) == {"Appointment": 12}, outcomes
        moves = [(appt, slot_a if to == slot_b else slot_b) for appt, to in moves]

    assert set(
        Appointment.objects.filter(pk__in=[a.pk for a in on_a]).values_list("slot_id", flat=True)
    ) == {slot_b.pk}
    assert set(
        Appointment.objects.filter(pk__in=[b.pk for b in on_b]).values_list("slot_id", flat=True)
    ) == {slot_a.pk}
    slot_a.refresh_from_db()
    slot_b.refresh_from_db()
    assert (slot_a.booked, slot_b.booked) == (6, 6)
    assert set(Appointment.objects.values_list("reschedule_count", flat=True)) == {3}
    _assert_booked_matches_active_appointments()


def test_crossing_reschedules_between_two_full_slots_lose_nothing(site, procedure, agent):
    """Both slots full: every move finds no seat (there is no swap), every
    appointment stays where it was, and nobody deadlocks."""
    slot_a, slot_b = factories.SlotFactory.create_batch(
        2, site=site, procedure=procedure, capacity=5
    )
    on_a = [
        appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot_a.pk)
        for _ in range(5)
    ]
    on_b = [
        appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot_b.pk)
        for _ in range(5)
    ]

    outcomes = _race(
        [
            partial(appointment_reschedule, actor=agent, appointment=a, new_slot_id=slot_b.pk)
            for a in on_a
        ]
        + [
            partial(appointment_reschedule, actor=agent, appointment=b, new_slot_id=slot_a.pk)
            for b in on_b
        ]
    )

    assert kinds(outcomes) == {"SlotFull": 10}
    assert Appointment.objects.filter(slot=slot_a, pk__in=[a.pk for a in on_a]).count() == 5
    assert Appointment.objects.filter(slot=slot_b, pk__in=[b.pk for b in on_b]).count() == 5
    _assert_booked_matches_active_appointments()


# --- Cancelling --------------------------------------------------------------------------


def test_one_appointment_cancelled_ten_times_at_once_frees_one_seat(site, procedure, agent):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=3)
    appointment = appointment_book(
        actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot.pk
    )
    appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot.pk)

    outcomes = _race(
        [partial(appointment_cancel, actor=agent, appointment=appointment) for _ in range(10)]
    )

    assert kinds(outcomes) == {"Appointment": 1, "AppointmentNotActive": 9}
    slot.refresh_from_db()
    assert slot.booked == 1
    _assert_booked_matches_active_appointments()


def test_cancel_racing_a_reschedule_frees_the_seat_it_holds(site, procedure, agent):
    """Whichever wins, the seat released is the one the appointment holds when
    the cancel runs: never the stale slot of the caller's copy."""
    for _ in range(8):
        old, new = factories.SlotFactory.create_batch(2, site=site, procedure=procedure, capacity=2)
        appointment = appointment_book(
            actor=agent, applicant=factories.ApplicantFactory(), slot_id=old.pk
        )

        outcomes = _race(
            [
                partial(appointment_cancel, actor=agent, appointment=appointment),
                partial(
                    appointment_reschedule,
                    actor=agent,
                    appointment=appointment,
                    new_slot_id=new.pk,
                ),
            ]
        )

        cancelled, rescheduled = outcomes
        assert isinstance(cancelled, Appointment), cancelled
        assert isinstance(rescheduled, Appointment | errors.AppointmentNotActive), rescheduled
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        old.refresh_from_db()
        new.refresh_from_db()
        assert (old.booked, new.booked) == (0, 0)
    _assert_booked_matches_active_appointments()


# --- Publishing and identities -------------------------------------------------------------


def test_the_same_window_published_four_times_at_once_exists_once(site, procedure, agent):
    day = timezone.localdate() + timedelta(days=7)
    publish = partial(
        slots_publish,
        actor=agent,
        site=site,
        procedure=procedure,
        date_from=day,
        date_to=day + timedelta(days=4),
        weekdays=range(7),
        opening_ranges=[OpeningRange(start=time(9), end=time(12))],
        counters=3,
        mediation_counters=1,
    )

    outcomes = _race([publish for _ in range(4)])

    assert kinds(outcomes) == {"PublicationResult": 4}
    assert sum(result.created for result in outcomes) == 5 * 9 * 2
    assert Slot.objects.count() == 5 * 9 * 2
    assert Slot.objects.values("starts_at", "pool").distinct().count() == 90


def test_one_document_registered_eight_times_at_once_is_recorded_once(db):
    users = factories.UserFactory.create_batch(8)
    identity = factories.identity(
        surname="Diallo",
        given_names="Aminata",
        birth_date=date(1990, 5, 17),
        document_number="9300000042",
    )

    outcomes = _race([partial(applicant_create, actor=u, user=u, identity=identity) for u in users])

    assert kinds(outcomes) == {"Applicant": 1, "IdentityTaken": 7}
    assert Applicant.objects.count() == 1


def test_one_appointment_rescheduled_twice_at_once_moves_in_turn_and_leaks_no_seat(
    site, procedure, agent
):
    """A double submission to two different slots: the second move waits for the
    first and then applies to the appointment as it stands (no phantom error)."""
    for _ in range(6):
        old, first, second = factories.SlotFactory.create_batch(
            3, site=site, procedure=procedure, capacity=2
        )
        appointment = appointment_book(
            actor=agent, applicant=factories.ApplicantFactory(), slot_id=old.pk
        )

        outcomes = _race(
            [
                partial(
                    appointment_reschedule,
                    actor=agent,
                    appointment=appointment,
                    new_slot_id=target.pk,
                )
                for target in (first, second)
            ]
        )

        assert kinds(outcomes) == {"Appointment": 2}, outcomes
        appointment.refresh_from_db()
        assert appointment.reschedule_count == 2
        assert appointment.slot_id in (first.pk, second.pk)
        booked = dict(
            Slot.objects.filter(pk__in=[old.pk, first.pk, second.pk]).values_list("pk", "booked")
        )
        assert booked == {old.pk: 0, first.pk: 0, second.pk: 0} | {appointment.slot_id: 1}
    _assert_booked_matches_active_appointments()


# --- An identity correction crossing a booking ------------------------------------------


def _in_thread(call: Callable[[], object], outcome: list) -> threading.Thread:
    """Run ``call`` in its own thread and connection; its result or exception
    lands in ``outcome``."""

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            outcome.append(call())
        except BaseException as exc:  # the test inspects it
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_for_a_lock_wait(thread: threading.Thread) -> None:
    """Until another connection of this database waits on a lock (or ``thread`` ended)."""
    deadline = monotonic() + JOIN_TIMEOUT
    while monotonic() < deadline and thread.is_alive():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        sleep(0.02)


def _snapshot(row) -> tuple:
    return tuple(str(getattr(row, name)) for name in IDENTITY_SNAPSHOT_FIELDS)


@pytest.mark.parametrize(
    "changes",
    [{"document_number": "9399999999"}, {"surname": "Traoré"}],
    ids=["document", "surname"],
)
def test_a_booking_crossing_an_identity_correction_never_keeps_the_old_identity(
    site, procedure, changes
):
    """The applicant's record (read by the booking before) is corrected in a
    transaction that is still open when the booking's statement runs: the
    booking waits for it, then either books under the committed identity or
    refuses cleanly, writing nothing. Never an appointment under the old one."""
    person = factories.ApplicantFactory()  # what the booking read: the identity before
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    corrected, release = threading.Event(), threading.Event()

    def correct_and_hold():
        with transaction.atomic():
            identity_correct(user=person.user, identity=factories.identity_of(person, **changes))
            corrected.set()
            release.wait(JOIN_TIMEOUT)

    correction: list = []
    correcting = _in_thread(correct_and_hold, correction)
    assert corrected.wait(JOIN_TIMEOUT)
    booking: list = []
    booking_thread = _in_thread(
        partial(appointment_book, actor=person.user, applicant=person, slot_id=slot.pk), booking
    )
    _wait_for_a_lock_wait(booking_thread)
    release.set()
    for thread in (correcting, booking_thread):
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive()

    stored = Applicant.objects.get(pk=person.pk)
    assert correction == [None]  # the correction committed
    assert [getattr(stored, k) for k in changes] == list(changes.values())
    (outcome,) = booking
    if isinstance(outcome, Appointment):
        assert _snapshot(Appointment.objects.get(pk=outcome.pk)) == _snapshot(stored)
    else:
        assert isinstance(outcome, errors.IdentityChanged), outcome
        assert not Appointment.objects.exists()
    _assert_booked_matches_active_appointments()


def test_a_correction_crossing_a_booking_waits_then_finds_the_identity_locked(site, procedure):
    """The booking's statement holds the applicant's row FOR SHARE until its
    transaction commits: a correction waits, then sees the appointment."""
    person = factories.ApplicantFactory()
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    booked, release = threading.Event(), threading.Event()

    def book_and_hold():
        with transaction.atomic():
            appointment = appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
            booked.set()
            release.wait(JOIN_TIMEOUT)
        return appointment

    booking: list = []
    booking_thread = _in_thread(book_and_hold, booking)
    assert booked.wait(JOIN_TIMEOUT)
    correction: list = []
    correcting = _in_thread(
        partial(
            identity_correct,
            user=person.user,
            identity=factories.identity_of(person, document_number="9399999999"),
        ),
        correction,
    )
    _wait_for_a_lock_wait(correcting)
    assert correcting.is_alive()  # it waits for the booking
    release.set()
    for thread in (booking_thread, correcting):
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive()

    (appointment,) = booking
    assert isinstance(appointment, Appointment), appointment
    assert isinstance(correction[0], IdentityLocked), correction
    stored = Applicant.objects.get(pk=person.pk)
    assert _snapshot(Appointment.objects.get(pk=appointment.pk)) == _snapshot(stored)
