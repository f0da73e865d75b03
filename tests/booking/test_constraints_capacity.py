"""The database refuses overbooked or malformed slots, whatever code talks to it:
these tests bypass the services on purpose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from booking.models import Slot
from tests import factories
from tests.helpers.db_constraints import refused

pytestmark = pytest.mark.django_db


# --- Capacity ------------------------------------------------------------------------


def test_raw_sql_cannot_book_a_slot_beyond_its_capacity(slot):
    with refused(), connection.cursor() as cursor:
        cursor.execute("UPDATE booking_slot SET booked = capacity + 1 WHERE id = %s", [slot.pk])

    slot.refresh_from_db()
    assert slot.booked == 0


def test_orm_update_cannot_book_a_slot_beyond_its_capacity(slot):
    Slot.objects.filter(pk=slot.pk).update(booked=F("capacity"))

    with refused():
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)

    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 3


def test_lowering_capacity_below_the_bookings_is_refused(slot):
    Slot.objects.filter(pk=slot.pk).update(booked=2)

    with refused():
        Slot.objects.filter(pk=slot.pk).update(capacity=1)

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (3, 2)


def test_booked_count_cannot_go_negative(slot):
    with refused(), connection.cursor() as cursor:
        cursor.execute("UPDATE booking_slot SET booked = booked - 1 WHERE id = %s", [slot.pk])


def test_slot_cannot_end_before_it_starts(site, procedure):
    starts_at = timezone.now() + timedelta(days=2)

    with refused():
        factories.SlotFactory(
            site=site, procedure=procedure, starts_at=starts_at, ends_at=starts_at
        )


def test_two_slots_of_one_pool_at_the_same_time_are_refused(slot):
    with refused():
        factories.SlotFactory(
            site=slot.site, procedure=slot.procedure, pool=slot.pool, starts_at=slot.starts_at
        )

    assert Slot.objects.filter(starts_at=slot.starts_at).count() == 1


# --- Seats held (the waiting list's offers, freed seats not shown yet) ---------------
# One CHECK counts them with the bookings: a seat held is nobody else's, whatever
# code writes the row (``slot_taken_within_capacity``).


def test_raw_sql_cannot_hold_more_seats_than_the_slot_has(slot):
    with refused(), connection.cursor() as cursor:
        cursor.execute("UPDATE booking_slot SET held = capacity + 1 WHERE id = %s", [slot.pk])

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.held) == (3, 0, 0)


def test_orm_update_cannot_hold_a_seat_already_booked(slot):
    Slot.objects.filter(pk=slot.pk).update(booked=2)

    with refused():
        Slot.objects.filter(pk=slot.pk).update(held=2)
    with refused(), connection.cursor() as cursor:
        cursor.execute("UPDATE booking_slot SET booked = 3, held = 1 WHERE id = %s", [slot.pk])

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.held) == (3, 2, 0)


def test_booking_a_seat_held_is_refused_but_booked_plus_held_may_fill_the_slot(slot):
    # Every seat taken, one of them held: allowed, the slot is just full.
    Slot.objects.filter(pk=slot.pk).update(booked=2, held=1)

    with refused():
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    with refused():
        Slot.objects.filter(pk=slot.pk).update(held=F("held") + 1)
    with refused():
        Slot.objects.filter(pk=slot.pk).update(capacity=2)

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.held) == (3, 2, 1)
