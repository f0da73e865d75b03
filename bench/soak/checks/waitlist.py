"""The waiting list's invariants (``tests/helpers/waitlist_invariants.py``):
on consistent snapshots during the traffic, at the end against what the
waitlisters were told, and on a last round of the allocation once
everything else has stopped (the order rule)."""

from __future__ import annotations

from bench.soak.periodic import Periodic
from bench.soak.world import QUEUE_PROCEDURE


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
