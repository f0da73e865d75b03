"""Notifications' answers to booking's domain signals (``booking.signals``),
connected in ``NotificationsConfig.ready()``: booking tells what happened,
this module owes the messages and alerts.

- ``appointment_messages_wanted``: the outbox rows of the event, unsaved
  (``services.appointment_messages``); booking inserts them with its event.
- ``appointment_changed``: the rows booking wrote go to the send tasks once
  its transaction commits (``services.enqueue_on_commit``).
- ``seat_freed``: the subscribers of the procedure are owed an alert
  (``services.freed_seat_owe``).
- ``capacity_reopened``: a lifted closure's seats are owed the same alert
  (``services.reopened_seats_owe``).

And to the waiting list's (``allocation.signals``), inside its transactions:

- ``offers_made``: each person is owed the offer by their channels
  (``services.offers_made_owe``).
- ``offers_ended``: an offer the prefecture withdrew is owed a short word
  (``services.offers_withdrawn_owe``; nothing when the person left).
- ``entries_paused``: each person is told how to resume
  (``services.entries_paused_owe``).
- ``entries_placed``: each person a closure put back on the list is told
  (``services.entries_placed_owe``).
"""

from __future__ import annotations

from allocation import signals as allocation
from booking import signals as booking
from notifications import services


def messages_of_event(sender, *, appointment, event, now, closure=None, **kwargs):
    return services.appointment_messages(
        appointment=appointment, event=event, now=now, closure=closure
    )


def messages_enqueue_after(sender, *, messages, **kwargs) -> None:
    services.enqueue_on_commit([message.pk for message in messages])


def freed_seat_alert_owe(sender, *, slot, procedure, now, **kwargs) -> None:
    services.freed_seat_owe(slot=slot, procedure=procedure, now=now)


def reopened_seats_alert_owe(sender, *, slots, now, **kwargs) -> None:
    services.reopened_seats_owe(slots=slots, now=now)


def offers_made_owe(sender, *, offers, now, **kwargs) -> None:
    services.offers_made_owe(offers=offers, now=now)


def offers_ended_owe(sender, *, offers, reason, now, **kwargs) -> None:
    services.offers_withdrawn_owe(offers=offers, reason=reason, now=now)


def entries_paused_owe(sender, *, entry_ids, now, **kwargs) -> None:
    services.entries_paused_owe(entry_ids=entry_ids, now=now)


def entries_placed_owe(sender, *, entry_ids, now, **kwargs) -> None:
    services.entries_placed_owe(entry_ids=entry_ids, now=now)


def connect() -> None:
    """Connect the receivers (idempotent: each has its ``dispatch_uid``)."""
    booking.appointment_messages_wanted.connect(
        messages_of_event, dispatch_uid="notifications.appointment_messages"
    )
    booking.appointment_changed.connect(
        messages_enqueue_after, dispatch_uid="notifications.appointment_enqueue"
    )
    booking.seat_freed.connect(freed_seat_alert_owe, dispatch_uid="notifications.freed_seat")
    booking.capacity_reopened.connect(
        reopened_seats_alert_owe, dispatch_uid="notifications.capacity_reopened"
    )
    allocation.offers_made.connect(offers_made_owe, dispatch_uid="notifications.offers_made")
    allocation.offers_ended.connect(offers_ended_owe, dispatch_uid="notifications.offers_ended")
    allocation.entries_paused.connect(
        entries_paused_owe, dispatch_uid="notifications.entries_paused"
    )
    allocation.entries_placed.connect(
        entries_placed_owe, dispatch_uid="notifications.entries_placed"
    )
