"""What the staff did to the list, against the database: the court orders the
agents recorded, their closures (and lifts), the entries closures put back,
and every entry's priority class against the facts (the classes follow the
orders, the closures' rights and the permits the mediator gave)."""

from __future__ import annotations

from bench.soak.world import QUEUE_PROCEDURE


def check_staff(traffic: dict) -> list[str]:
    from collections import Counter

    from django.utils import timezone

    from allocation import rules
    from allocation.models import ENTRY_IN_FORCE, PriorityClass, WaitlistEntry
    from booking.models import Channel, Closure, Injunction, Procedure

    staff = traffic["staff"]
    procedure = Procedure.objects.get(slug=QUEUE_PROCEDURE)
    problems = []
    orders = set(Injunction.objects.filter(procedure=procedure).values_list("pk", flat=True))
    if orders != set(staff["injunctions"]):
        problems.append(
            f"the agents recorded {len(staff['injunctions'])} court orders, the database has "
            f"{len(orders)}"
        )
    closures = {
        pk: lifted is not None
        for pk, lifted in Closure.objects.filter(procedure=procedure).values_list("pk", "lifted_at")
    }
    told = {int(pk): lifted for pk, lifted in staff["closures"].items()}
    if closures != told:
        problems.append(f"the agents know closures {told}, the database has {closures}")
    # Entries made by a closure (channel ``agent``: nobody else joins as an agent here).
    placed = set(
        WaitlistEntry.objects.filter(procedure=procedure, channel=Channel.AGENT).values_list(
            "pk", flat=True
        )
    )
    if placed != set(staff["placed"]):
        problems.append(
            f"the agents saw {len(staff['placed'])} entries put back by closures, the "
            f"database has {len(placed)}"
        )
    entries = list(
        WaitlistEntry.objects.filter(procedure=procedure, status__in=ENTRY_IN_FORCE).values_list(
            "pk", "applicant_id", "permit_expires_on", "priority_class"
        )
    )
    due = rules.priority_classes_of(
        procedure_id=procedure.pk,
        permits={applicant: permit for _pk, applicant, permit, _class in entries},
        now=timezone.now(),
    )
    wrong = [(pk, stored, due[a]) for pk, a, _permit, stored in entries if due[a] != stored]
    by_class = Counter(PriorityClass(stored).name for _pk, _a, _p, stored in entries)
    print(
        f"   staff: {len(orders)} court orders, {len(closures)} closures "
        f"({sum(closures.values())} lifted), {len(placed)} entries put back; entries in force "
        f"by class {dict(sorted(by_class.items()))}, {len(wrong)} not the facts' class"
    )
    if wrong:
        problems.append(
            f"{len(wrong)} entries in force whose class is not the facts' (entry, stored, "
            f"due): {wrong[:5]}"
        )
    return problems
