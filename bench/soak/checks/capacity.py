"""The capacity invariant on every slot of the database, and what the
applicants were told they hold against what the database holds."""

from __future__ import annotations

from bench.soak.world import PROCEDURES, QUEUE_PROCEDURE


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
