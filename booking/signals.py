"""What booking tells the apps above it, and what it hears from Django.

Booking sends domain signals; the apps that react (notifications: the
messages owed, the alerts of a freed seat) connect their receivers in their
own ``ready()``. Booking never imports them.

- ``appointment_messages_wanted(appointment, event, now)``: each receiver
  returns the outbox rows the event owes, unsaved model instances (of any
  model: booking inserts them in their own, within the booking's one
  statement or the cancellation's transaction, without knowing it). A
  cancellation by a closure also sends ``closure`` (the ``Closure``): its
  messages give the reason and the priority right the person now holds.
- ``appointment_changed(appointment, event, now, messages)``: an appointment
  was ``BOOKED``, ``CANCELLED`` or ``RESCHEDULED``; sent inside the event's
  transaction (after the booking's statement, which is its own), with the
  rows of ``appointment_messages_wanted`` as written (their ids set). What is
  done after the commit (handing the ids to the workers) is the receivers'
  to schedule (``transaction.on_commit``).
- ``seat_freed(slot, procedure, now)``: a cancellation or a reschedule gave a
  seat of ``slot`` back, inside its transaction. Not sent when a closure
  cancels: the seat leaves capacity with the slot.
- ``capacity_reopened(slots, now)``: lifting a closure gave ``slots`` (a list,
  their procedure loaded, as written: capacity back, no closure) their seats
  back, inside its transaction. What a receiver owes for them is its own to
  decide (notifications: the new-slot alert of the seats anyone may book).
- ``holds_withdraw(slot_ids, reason, now)``: the seats held on these slots
  are taken back, inside the transaction that does it, holding the slots'
  locks: ``reason`` ``"closure"`` (a closure takes their capacity; booking
  then sets ``held`` to zero) or ``"mode_changed"`` (their procedure's
  capacity leaves the waiting list). A receiver withdraws what it holds there
  (allocation: the open offers, their people told) and gives the seats back.
- ``queue_capacity_changed(procedure_ids, now)``: capacity of the pool
  ``queue`` of these procedures may have become free to offer (published,
  moved to the list by a change of mode), inside the transaction: the
  waiting list's receiver offers it once it commits.
- ``priority_changed(applicant_ids, procedure_id, reason, details, actor, now)``:
  a fact the waiting list's order reads of these people for that procedure
  changed (``reason``: ``INJUNCTION_RECORDED``, ``INJUNCTION_SERVED``,
  ``INJUNCTION_REOPENED``, ``RIGHT_USED``, ``RIGHT_RESTORED``; ``details``
  for the audit row; ``actor`` who did it, or ``None``), inside the transaction
  that wrote it and after any slot lock it takes: the receiver (allocation)
  locks the people's entries, which come after slots in every lock order.
- ``closure_cancelled(closure, appointments, actor, now)``: a closure cancelled
  ``appointments`` (a list, as cancelled, of one slot: its procedure and site)
  and gave each person a priority right, inside the slot's transaction,
  holding its lock, before the seats held there are withdrawn. The waiting
  list moves those people's entries up, and puts back on its list those of a
  procedure it gives out at that site.
- ``acting_for(actor, applicant, appointment, slot, event, now)``: a member of
  staff (not the applicant themselves) is about to book (``BOOKED``: the new
  appointment, unsaved, on ``slot``), cancel (``CANCELLED``) or move
  (``RESCHEDULED``: to ``slot``) an appointment of ``applicant``; sent inside
  the transaction that will write it, before anything is written. A receiver
  refuses by raising a ``core.errors.DomainError`` (everything rolls back),
  may set fields of a new appointment (mediation: the access point and the
  opening-hours flag) and returns a dict to add to the action's audit details
  (or ``None``). Never sent for an applicant acting for themselves: their hot
  path stays one statement.
- ``walk_in_contacts_withheld(applicants, now)``: ``applicants`` are walk-ins
  (identities without an account) with contacts staff typed for them; each
  receiver returns the ``(applicant id, channel)`` pairs, ``channel`` being
  ``"sms"`` (the typed phone) or ``"email"``, that must not be written to
  (mediation: a walk-in registered at an access point is contacted only while
  a consent in force covers that channel), or an empty set. Notifications asks
  before it owes a message (``notifications.services.applicant_contacts``);
  an account's confirmed contacts are never asked about.

Saves and deletes of slots, sites and procedures outside the booking services
(the admin, a shell) change what availability shows: every kept answer is out
of date (``booking.availability_cache``). The services themselves write slots
with ``update`` and ``bulk_create``, which send no signal, and say which
procedure changed.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from booking import availability_cache
from booking.models import Procedure, Site, Slot

# The events of ``appointment_changed`` (also the messages' template keys).
BOOKED = "appointment_booked"
CANCELLED = "appointment_cancelled"
RESCHEDULED = "appointment_rescheduled"

# The reasons of ``priority_changed``.
INJUNCTION_RECORDED = "injunction_recorded"
INJUNCTION_SERVED = "injunction_served"
INJUNCTION_REOPENED = "injunction_reopened"
RIGHT_USED = "priority_right_used"
RIGHT_RESTORED = "priority_right_restored"

appointment_messages_wanted = Signal(use_caching=True)
appointment_changed = Signal(use_caching=True)
seat_freed = Signal(use_caching=True)
capacity_reopened = Signal()
holds_withdraw = Signal()
queue_capacity_changed = Signal()
acting_for = Signal()
walk_in_contacts_withheld = Signal()
priority_changed = Signal()
closure_cancelled = Signal()


@receiver(post_save, sender=Slot, dispatch_uid="booking.availability.slot_saved")
@receiver(post_delete, sender=Slot, dispatch_uid="booking.availability.slot_deleted")
@receiver(post_save, sender=Site, dispatch_uid="booking.availability.site_saved")
@receiver(post_delete, sender=Site, dispatch_uid="booking.availability.site_deleted")
@receiver(post_save, sender=Procedure, dispatch_uid="booking.availability.procedure_saved")
@receiver(post_delete, sender=Procedure, dispatch_uid="booking.availability.procedure_deleted")
def availability_out_of_date(sender, **kwargs) -> None:
    availability_cache.capacity_changed()


# --- Searches that found nothing (the record of attempts) --------------------------------

#: A search by a person found nothing: the booking pages (no site, or nothing at
#: the site chosen) and the API's availability (an empty answer), for an
#: applicant's account; the mediation console for the person it searches for.
#: Sent with ``procedure`` (slug), ``sites`` (a tuple of site slugs; empty for
#: every site), ``now``, and the person: ``user`` (an applicant's account; the
#: receiver finds its identity, if any) or ``applicant`` (an ``Applicant`` or
#: its id, with ``user`` the mediator who searched). Only when the answer is
#: empty: a search that found something costs nothing. Anonymous searches are
#: not sent. Receivers must be cheap (the storm's hottest read sends it): the
#: record of attempts (``attempts.receivers``) deduplicates before it writes.
availability_found_nothing = Signal()
