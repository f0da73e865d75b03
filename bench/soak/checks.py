"""What the soak checks once its traffic has run: the answers, the capacity
invariant, the waiting list's invariants, each owed message sent exactly once,
and the memory of the processes."""

from __future__ import annotations

import statistics
import time
from collections import Counter

from bench.soak import memory
from bench.soak.delivery import FakeTwilio, SmtpInbox
from bench.soak.periodic import Periodic

OFFER_MADE = "offer_made"  # allocation.messages.OFFER_MADE (Django is set up later)

PROCEDURES = ("soak-a", "soak-b")
# Given out by its waiting list (``bench/soak/__main__.py``: ``_queue_procedure``).
QUEUE_PROCEDURE = "soak-q"
# A process fails the soak if its RSS grows, after the warm-up, by more than
# this share of its warmed-up size or by more than this many MB.
GROWTH_MAX_RATIO = 0.10
GROWTH_MAX_MB = 20
# The traffic's successful events that owe each message, by every channel (each
# seeded applicant has a phone and an e-mail). An accepted offer is a booking.
OWED_BY_EVENTS = {
    "appointment_booked": ("booked", "accepted"),
    "appointment_cancelled": ("cancelled", "queue_cancelled"),
    "appointment_rescheduled": ("rescheduled",),
}
# What an offer's message records when the offer was answered (or expired)
# before the worker reached it: its link no longer answers anything, not sent.
OFFER_GONE = "nothing to confirm any more"


# --- Checks ----------------------------------------------------------------------------


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


class Snapshots(Periodic):
    """The waiting list's invariants (``tests/helpers/waitlist_invariants.py``)
    every few seconds during the traffic, in a thread, each time on one
    consistent snapshot of the database (a ``REPEATABLE READ`` transaction):
    every committed state must keep them, not only the last."""

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__(interval)
        self.taken = 0
        self.problems: list[str] = []

    def tick(self) -> None:
        from django.db import connection, transaction

        from tests.helpers import waitlist_invariants as invariants

        with transaction.atomic(), connection.cursor() as cursor:
            # The first statement of the transaction: one snapshot for every read.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            found = invariants.all_problems()
        self.taken += 1
        self.problems += [f"snapshot {self.taken}: {p}" for p in found[:3]]

    def failed(self, exc: Exception) -> None:
        # A check that cannot run fails the soak.
        self.problems.append(f"snapshot {self.taken + 1} failed: {exc!r}")

    def report(self) -> list[str]:
        print(
            f"   waiting list during the traffic: {self.taken} snapshots every "
            f"{self.interval:.0f} s, {len(self.problems)} invariants broken"
        )
        return [f"waiting list: {problem}" for problem in self.problems[:10]]


def check_http(traffic: dict) -> list[str]:
    from bench.soak.traffic import EXPECTED, EXPECTED_CODES

    problems = []
    statuses = Counter(sample[1] for sample in traffic["samples"])
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers 5xx")
    if statuses[0]:
        problems.append(f"{statuses[0]} connection errors or timeouts")
    odd = Counter(
        (kind, status, code)
        for kind, status, _latency, _start, code in traffic["samples"]
        if status not in EXPECTED[kind]
        or (status == 409 and kind in EXPECTED_CODES and code not in EXPECTED_CODES[kind])
    )
    if odd:
        problems.append(f"unexpected answers {dict(odd)}; e.g. {traffic['unexpected'][:3]}")
    return problems


def check_capacity(traffic: dict) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE s.booked < 0 OR s.booked > s.capacity),
                   count(*) FILTER (WHERE s.booked <> coalesce(a.active, 0)),
                   coalesce(sum(s.booked), 0)
            FROM booking_slot s
            LEFT JOIN (
                SELECT slot_id, count(*) AS active FROM booking_appointment
                WHERE status IN ('booked', 'checked_in') GROUP BY slot_id
            ) a ON a.slot_id = s.id
            """
        )
        slots, out_of_bounds, mismatched, seats = cursor.fetchone()
        cursor.execute(
            "SELECT a.reference FROM booking_appointment a "
            "JOIN booking_procedure p ON p.id = a.procedure_id "
            "WHERE p.slug = ANY(%s) AND a.status IN ('booked', 'checked_in')",
            [[*PROCEDURES, QUEUE_PROCEDURE]],
        )
        active = {reference for (reference,) in cursor.fetchall()}
    print(
        f"   capacity: {slots} slots, {seats} seats taken; {out_of_bounds} outside "
        f"0..capacity, {mismatched} whose count differs from their active appointments"
    )
    problems = []
    if out_of_bounds or mismatched:
        problems.append(f"capacity invariant: {out_of_bounds} out of bounds, {mismatched} off")
    held = set(traffic["holds"])
    if held != active:
        problems.append(
            f"the applicants were told they hold {len(held)} appointments, the database "
            f"has {len(active)} ({len(held - active)} missing, {len(active - held)} extra)"
        )
    return problems


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


def check_waitlist(traffic: dict, *, waitlisters: int) -> list[str]:
    """The waiting list's invariants on the database (those of the state machine,
    ``tests/helpers/waitlist_invariants.py``), and what the waitlisters were told
    against what the database holds."""
    from django.db.models import Count

    from allocation.models import ENTRY_IN_FORCE, Offer, OfferStatus, WaitlistEntry
    from tests.helpers import waitlist_invariants as invariants

    problems = [f"waiting list: {problem}" for problem in invariants.all_problems()[:10]]
    mine = traffic["waitlist"]
    offers = Offer.objects.filter(procedure__slug=QUEUE_PROCEDURE)
    by_status = dict(offers.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    entries = WaitlistEntry.objects.filter(procedure__slug=QUEUE_PROCEDURE)
    by_entry = dict(entries.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    made = sum(by_status.values())
    print(
        f"   waiting list: {made} offers made, "
        + ", ".join(f"{by_status.get(s, 0)} {s}" for s in OfferStatus.values)
        + f"; entries: {dict(sorted(by_entry.items()))}; "
        + f"{len(problems)} invariants broken"
    )
    in_force = set(entries.filter(status__in=ENTRY_IN_FORCE).values_list("pk", flat=True))
    told = set(mine["entries"])
    if told != in_force:
        problems.append(
            f"the waitlisters hold {len(told)} entries in force, the database "
            f"{len(in_force)} ({len(told - in_force)} missing, {len(in_force - told)} extra)"
        )
    accepted = dict(
        offers.filter(status=OfferStatus.ACCEPTED).values_list("pk", "appointment__reference")
    )
    told_accepted = {int(pk): reference for pk, reference in mine["accepted"].items()}
    if told_accepted != accepted:
        problems.append(
            f"the waitlisters accepted {len(told_accepted)} offers, the database has "
            f"{len(accepted)} accepted (or their appointments differ)"
        )
    declined = set(offers.filter(status=OfferStatus.DECLINED).values_list("pk", flat=True))
    if set(mine["declined"]) != declined:
        problems.append(
            f"the waitlisters declined {len(mine['declined'])} offers, the database has "
            f"{len(declined)} declined"
        )
    if mine["surprises"]:
        problems.append(
            f"{len(mine['surprises'])} answers contradicted what a waitlister knew, "
            f"e.g. {mine['surprises'][:3]}"
        )
    if waitlisters and not (made and accepted):
        problems.append(f"the waiting list was not played: {made} offers, {len(accepted)} accepted")
    return problems


def check_order_final() -> list[str]:
    """Traffic, beat and worker stopped: one more round of the list, in this
    process, where it is scarcest. The prefecture takes back the seats of the
    open offers (withdrawn, as a closure does: their people keep their place),
    the allocation runs on the whole list as the soak left it (places moved by
    second declines, paused entries, slots people passed on), and its offers
    must keep the order rule; afterwards no free seat it could offer is left
    while a waiting entry that fits it (and did not pass on it) goes without an
    offer; the invariants hold still."""
    from django.db import transaction
    from django.utils import timezone

    from allocation import rules
    from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
    from allocation.selectors import queue_seats_free
    from allocation.services import holds_withdraw, offers_allocate
    from booking.models import ACTIVE_STATUSES, Appointment, Procedure, Slot
    from tests.helpers import waitlist_invariants as invariants

    procedure = Procedure.objects.get(slug=QUEUE_PROCEDURE)
    now = timezone.now()
    with transaction.atomic():
        held = sorted(
            set(
                Offer.objects.filter(procedure=procedure, status=OfferStatus.OPEN).values_list(
                    "slot_id", flat=True
                )
            )
        )
        # holds_withdraw's caller holds the slots' locks (primary-key order).
        list(Slot.objects.select_for_update().filter(pk__in=held).order_by("pk").values_list("pk"))
        withdrawn = holds_withdraw(slot_ids=held, reason="closure", now=now)
        offers = offers_allocate(procedure_id=procedure.pk)
        problems = invariants.order_problems(offers)
        free = list(
            queue_seats_free(now)
            .filter(
                procedure=procedure,
                starts_at__gte=rules.offerable_from(procedure, now),
                starts_at__lt=rules.offerable_until(procedure, now),
                site__is_active=True,
            )
            .values_list("pk", "site_id", "starts_at")
        )
        served = set(
            Appointment.objects.filter(procedure=procedure, status__in=ACTIVE_STATUSES).values_list(
                "applicant_id", flat=True
            )
        )
        with_offer = set(
            Offer.objects.filter(status=OfferStatus.OPEN).values_list("entry_id", flat=True)
        )
        passed = set(
            Offer.objects.filter(
                procedure=procedure, status__in=(OfferStatus.DECLINED, OfferStatus.EXPIRED)
            ).values_list("entry_id", "slot_id")
        )
        entries = list(
            WaitlistEntry.objects.filter(procedure=procedure, status=EntryStatus.WAITING)
        )
        waiting = len(entries)
        for entry in entries:
            if entry.pk in with_offer or entry.applicant_id in served:
                continue
            for slot_id, site_id, starts_at in free:
                weekday = timezone.localtime(starts_at).isoweekday()
                if (entry.pk, slot_id) not in passed and rules.fits(
                    site_ids=entry.site_ids,
                    weekdays_excluded=entry.weekdays_excluded,
                    site_id=site_id,
                    weekday=weekday,
                ):
                    problems.append(f"slot {slot_id} left free, entry {entry.pk} fits it")
                    break
        problems += invariants.all_problems()
    print(
        f"   order rule: a last round ({withdrawn} open offers withdrawn first) made "
        f"{len(offers)} offers to {waiting} entries waiting; {len(free)} offerable seats "
        f"left free; {len(problems)} problems"
    )
    return [f"last round: {problem}" for problem in problems[:10]]


def check_memory(sampler: memory.Sampler, *, warm_up: float, end: float, span: float) -> list[str]:
    problems = []
    print(
        f"   memory (RSS): warmed up = median over {warm_up:.0f}-{warm_up + span:.0f} s, "
        f"end = median over the last {span:.0f} s; bound: +{GROWTH_MAX_RATIO:.0%} "
        f"and +{GROWTH_MAX_MB} MB"
    )
    for series in sampler.series.values():
        grown = memory.growth(series, warm_up=warm_up, end=end, span=span)
        if grown is None:
            continue
        over = grown.ratio > GROWTH_MAX_RATIO or grown.delta > GROWTH_MAX_MB * memory.MB
        # The trend: the median at each quarter of the time after the warm-up.
        quarters = [
            series.window(t - span / 2, t + span / 2)
            for t in (warm_up + (end - warm_up) * q / 4 for q in (1, 2, 3))
        ]
        trend = " ".join(f"{statistics.median(q) / memory.MB:.1f}" for q in quarters if q)
        print(
            f"     {grown.label:<28} {grown.warm / memory.MB:6.1f} MB -> "
            f"{grown.end / memory.MB:6.1f} MB ({grown.delta / memory.MB:+5.1f} MB, "
            f"{grown.ratio:+6.1%}), peak {grown.peak / memory.MB:6.1f} MB; "
            f"quarters {trend}" + ("  OVER" if over else "")
        )
        if over:
            problems.append(
                f"{grown.label} grew {grown.delta / memory.MB:+.1f} MB ({grown.ratio:+.1%})"
            )
    problems += sampler.appeared + sampler.vanished(end)
    return problems
