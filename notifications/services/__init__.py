"""Writes of the notifications outbox: owing, sending, sweeping, alerting.

One module per section, their public names re-exported here: ``contacts``
(where a person's messages go), ``appointments`` (what an appointment event
owes), ``sending`` (claim, transport, outcome) and ``sms_budget``, ``sweep``,
``inbound`` (Twilio's reports, STOP and START), ``reminders``, ``alerts`` (the
new-slot fan-out), ``subscriptions``, ``announcements`` (publications and
freed seats), ``waitlist`` (the waiting list's offers and pauses). Rows
are built and handed to Celery by ``notifications.outbox``, which the lower
layers use too; ``enqueue_on_commit`` and ``messages_enqueue``
are re-exported from it.

The promise is that nothing is lost and nothing is sent twice:

- A message is an outbox row written **in the same transaction** as the event
  that owes it; ``transaction.on_commit`` hands its id to Celery, through the
  process's background publisher (``notifications.outbox.publisher``), which
  publishes the ids of a short linger as one task, off the request's path. If
  the id is not published (the broker down, the publisher's queue full, the
  process killed first) the row stays ``pending`` and the sweep publishes it
  later.
- A worker *claims* a row with one conditional UPDATE (``pending`` →
  ``sending``): of two workers given the same id, one sends, the other does
  nothing. The result is recorded with another conditional UPDATE that only
  matches the attempt that claimed it.
- A row stuck in ``sending`` means a worker died mid-send (killed, lost
  power): nobody knows whether the provider got it. The sweep puts it back in
  ``pending`` marked ``in_doubt``, and the next attempt first *asks* Twilio
  whether it already accepted that text for that number since the claim. So
  the SMS is sent exactly once as long as Twilio answers that question; an
  e-mail in doubt is sent again with the same Message-ID (mail clients fold
  the duplicate), since SMTP has no such question.
"""

from notifications.outbox import enqueue_on_commit, messages_enqueue
from notifications.services.alerts import (
    NEW_SLOTS,
    UNSUBSCRIBE_SALT,
    alerts_fan_out,
    alerts_offered,
    is_first_come,
    unsubscribe_token,
    unsubscribe_url,
)
from notifications.services.announcements import (
    freed_seat_alert_announce,
    freed_seat_announce,
    freed_seat_owe,
    freed_seats_sweep,
    publication_announce,
    publications_announce_due,
    reopened_seats_owe,
)
from notifications.services.appointments import (
    BOOKED,
    CANCELLED,
    REMINDER,
    RESCHEDULED,
    appointment_messages,
    appointment_notify,
)
from notifications.services.common import PARIS, batched
from notifications.services.contacts import applicant_contacts, contacts_of
from notifications.services.inbound import (
    START_WORDS,
    STOP_WORDS,
    message_delivery_update,
    sms_opt_out,
    sms_receive,
)
from notifications.services.reminders import reminders_create
from notifications.services.sending import SendOutcome, message_send, render_secret
from notifications.services.subscriptions import (
    alert_subscribe,
    alert_unsubscribe,
    subscription_from_token,
)
from notifications.services.sweep import messages_sweep
from notifications.services.waitlist import (
    entries_paused_owe,
    entries_placed_owe,
    offers_made_owe,
    offers_withdrawn_owe,
)

__all__ = [
    "BOOKED",
    "CANCELLED",
    "NEW_SLOTS",
    "PARIS",
    "REMINDER",
    "RESCHEDULED",
    "START_WORDS",
    "STOP_WORDS",
    "UNSUBSCRIBE_SALT",
    "SendOutcome",
    "alert_subscribe",
    "alert_unsubscribe",
    "alerts_fan_out",
    "alerts_offered",
    "applicant_contacts",
    "appointment_messages",
    "appointment_notify",
    "batched",
    "contacts_of",
    "enqueue_on_commit",
    "entries_paused_owe",
    "entries_placed_owe",
    "freed_seat_alert_announce",
    "freed_seat_announce",
    "freed_seat_owe",
    "freed_seats_sweep",
    "is_first_come",
    "message_delivery_update",
    "message_send",
    "messages_enqueue",
    "messages_sweep",
    "offers_made_owe",
    "offers_withdrawn_owe",
    "publication_announce",
    "publications_announce_due",
    "reminders_create",
    "render_secret",
    "reopened_seats_owe",
    "sms_opt_out",
    "sms_receive",
    "subscription_from_token",
    "unsubscribe_token",
    "unsubscribe_url",
]
