"""What the waiting list tells the apps above it (notifications, mediation).

- ``offers_made(offers, now)``: new offers (a list, with their entry, slot,
  site, procedure and applicant loaded), inside the allocation's transaction.
  Notifications owes each person the offer by the channels they have.
- ``offers_ended(offers, reason, now)``: open offers ended by the prefecture
  (``reason``: ``"closure"``, ``"mode_changed"``, ``"left"``), not by the
  person's answer; notifications tells the person when it is not their doing.
- ``entries_paused(entry_ids, now)``: entries the expiry of their offers
  paused (``offers_expire_due``), inside its transaction; notifications tells
  each person how to confirm they still need an appointment.
- ``entries_placed(entry_ids, now)``: entries the prefecture made for people
  whose appointment its closure cancelled (``entries_after_closure``), inside
  the closure's transaction; notifications tells each person they are back on
  the list, ahead of the people without priority, and may decline.
- ``acting_for_entry(actor, applicant, event, now)``: a member of staff (not
  the person) is about to join (``JOINED``), leave (``LEFT``), resume
  (``RESUMED``), change its places or days (``CHANGED``) or answer an offer
  (``DECLINED``; accepting books, which asks ``booking.signals.acting_for``)
  for ``applicant``; inside the transaction, before anything is written (what
  a receiver locks, a mediator's consent, stays locked until it is). A receiver refuses by raising a
  ``core.errors.DomainError`` (mediation: the consent for the waiting list),
  and returns a dict for the audit row (or ``None``).
"""

from __future__ import annotations

from django.dispatch import Signal

JOINED = "waitlist_joined"
LEFT = "waitlist_left"
RESUMED = "waitlist_resumed"
CHANGED = "waitlist_changed"
DECLINED = "offer_declined"

offers_made = Signal()
offers_ended = Signal()
entries_paused = Signal()
entries_placed = Signal()
acting_for_entry = Signal()
