"""The outbox: its backlog during the traffic, the drain after it, and each
owed message sent exactly once (each SMS row one request the fake Twilio
took, each e-mail row one message the SMTP server took, nothing else)."""

from __future__ import annotations

import time
from collections import Counter

from bench.soak.delivery import FakeTwilio, SmtpInbox
from bench.soak.periodic import Periodic

OFFER_MADE = "offer_made"  # allocation.messages.OFFER_MADE (Django is set up later)
# The traffic's successful events that owe each message, by every channel (each
# seeded applicant has a phone and an e-mail). An accepted offer is a booking.
# A closure's cancellation is an appointment cancelled (with its reason), and the
# person it puts back on the list is told so.
OWED_BY_EVENTS = {
    "appointment_booked": ("booked", "accepted"),
    "appointment_cancelled": ("cancelled", "queue_cancelled", "closure_cancelled"),
    "appointment_rescheduled": ("rescheduled",),
    "waitlist_placed": ("placed",),
}
# What an offer's message records when the offer was answered (or expired)
# before the worker reached it: its link no longer answers anything, not sent.
OFFER_GONE = "nothing to confirm any more"


class Backlog(Periodic):
    """The outbox's backlog (owed messages not sent yet) every few seconds, in
    a thread: whether the worker keeps up with the traffic."""

    def __init__(self, first_id: int, interval: float = 5.0) -> None:
        super().__init__(interval)
        self.first_id = first_id
        self.samples: list[tuple[float, int, int]] = []  # (seconds, waiting, sent)

    def tick(self) -> None:
        from django.db.models import Count, Q

        from notifications.models import Message, MessageStatus

        waiting = Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
        counts = Message.objects.filter(pk__gt=self.first_id).aggregate(
            waiting=Count("pk", filter=waiting), sent=Count("pk", filter=~waiting)
        )
        self.samples.append((time.monotonic() - self.began, counts["waiting"], counts["sent"]))

    def report(self, seconds: float) -> str:
        during = [sample for sample in self.samples if sample[0] <= seconds]
        if not during:
            return "no sample"
        peak = max(waiting for _t, waiting, _sent in during)
        _t, last, sent = during[-1]
        return (
            f"at most {peak} messages waiting, {last} at the end of the traffic; "
            f"the worker sent {sent / during[-1][0]:.1f} messages/s meanwhile"
        )


def owed(first_id: int):
    from django.utils import timezone

    from notifications.models import Message

    return Message.objects.filter(pk__gt=first_id, next_attempt_at__lte=timezone.now())


def drain(first_id: int, twilio: FakeTwilio, smtp: SmtpInbox, timeout: float) -> float:
    """Wait (at most ``timeout`` s) until no owed message is pending or being sent."""
    from django.db import connection

    from notifications.models import MessageStatus

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        waiting = (
            owed(first_id).filter(status__in=[MessageStatus.PENDING, MessageStatus.SENDING]).count()
        )
        connection.close()
        if not waiting:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # a send just recorded may still be answering the SMTP server
    return time.monotonic() - began


def check_messages(first_id: int, traffic: dict, twilio: FakeTwilio, smtp: SmtpInbox) -> list[str]:
    from django.utils import timezone

    from notifications.models import Message, MessageChannel, MessageStatus

    problems = []
    rows = list(
        Message.objects.filter(pk__gt=first_id).values_list(
            "pk",
            "idempotency_key",
            "channel",
            "status",
            "template_key",
            "provider_id",
            "next_attempt_at",
            "last_error",
        )
    )
    now = timezone.now()
    later = [row for row in rows if row[6] > now]
    owed = [row for row in rows if row[6] <= now]
    by_template = Counter(row[4] for row in rows)
    for template, events in OWED_BY_EVENTS.items():
        made = sum(traffic["events"][event] for event in events)
        if by_template[template] != 2 * made:  # every seeded applicant has a phone and an e-mail
            problems.append(
                f"{made} {'+'.join(events)} answers owe {2 * made} '{template}' messages, "
                f"the outbox has {by_template[template]}"
            )
    offers = _offers_made()
    if by_template[OFFER_MADE] != 2 * offers:
        problems.append(
            f"{offers} offers owe {2 * offers} '{OFFER_MADE}' messages, "
            f"the outbox has {by_template[OFFER_MADE]}"
        )
    sent_states = {MessageStatus.SENT, MessageStatus.DELIVERED}
    gone = _offers_gone(owed)
    not_sent = [row for row in owed if row[3] not in sent_states and row[0] not in gone]
    if not_sent:
        states = Counter(row[3] for row in not_sent)
        problems.append(
            f"{len(not_sent)} owed messages not sent ({dict(states)}), "
            f"e.g. {[(r[1], r[3], r[7][:120]) for r in not_sent[:3]]}"
        )
    # SMS: each sent row is exactly one request the fake Twilio took, and back.
    sids = Counter(message["sid"] for message in twilio.sent)
    sms_rows = {row[5]: row[1] for row in owed if row[2] == MessageChannel.SMS and row[5]}
    sms_dupes = [key for sid, key in sms_rows.items() if sids[sid] != 1]
    # What the demo seed owed before the traffic (its walk-ins, court orders,
    # closure) the worker sends too: owed, though not by the soak.
    seeded = Message.objects.filter(pk__lte=first_id)
    seeded_sids = set(seeded.exclude(provider_id="").values_list("provider_id", flat=True))
    seeded_pks = set(seeded.values_list("pk", flat=True))
    sms_extra = sum(n for sid, n in sids.items() if sid not in sms_rows and sid not in seeded_sids)
    # E-mail: each sent row's Message-ID arrived exactly once, nothing else did.
    received = Counter(smtp.message_ids())
    email_rows = {
        row[0]: row[1] for row in owed if row[2] == MessageChannel.EMAIL and row[3] in sent_states
    }
    email_off = [key for pk, key in email_rows.items() if received[pk] != 1]
    email_extra = sum(
        n for pk, n in received.items() if pk not in email_rows and pk not in seeded_pks
    )
    print(
        f"   messages: {len(rows)} owed by the soak ({len(later)} not due yet: quiet hours), "
        f"{len(owed) - len(not_sent) - len(gone)} of {len(owed)} due sent, {len(gone)} offers' "
        "not sent (answered or expired first); "
        + ", ".join(f"{template} {n}" for template, n in sorted(by_template.items()))
    )
    print(
        f"   delivery: fake Twilio took {len(twilio.sent)} SMS for {len(sms_rows)} SMS rows, "
        f"SMTP took {sum(received.values())} e-mails for {len(email_rows)} e-mail rows"
    )
    if sms_dupes or sms_extra:
        problems.append(
            f"SMS not sent exactly once: {len(sms_dupes)} rows ({sms_dupes[:3]}), "
            f"{sms_extra} SMS nobody owed"
        )
    if email_off or email_extra:
        problems.append(
            f"e-mails not sent exactly once: {len(email_off)} rows ({email_off[:3]}), "
            f"{email_extra} e-mails nobody owed"
        )
    return problems


def _offers_made() -> int:
    from allocation.models import Offer

    return Offer.objects.count()


def _offers_gone(rows: list[tuple]) -> set[int]:
    """The ids of the offer messages (``rows`` of ``check_messages``) the worker
    rightly did not send: failed with ``OFFER_GONE`` and their offer not open."""
    from django.utils import timezone

    from allocation.models import Offer, OfferStatus
    from notifications.models import Message, MessageStatus

    failed = dict(
        Message.objects.filter(
            pk__in=[row[0] for row in rows if row[4] == OFFER_MADE],
            status=MessageStatus.FAILED,
            last_error__startswith=OFFER_GONE,
        ).values_list("pk", "context__offer")
    )
    still_open = set(
        Offer.objects.filter(
            pk__in=set(failed.values()), status=OfferStatus.OPEN, expires_at__gt=timezone.now()
        ).values_list("pk", flat=True)
    )
    return {pk for pk, offer in failed.items() if offer not in still_open}
