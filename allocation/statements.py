"""An offer accepted in few round trips, on PostgreSQL.

Through the ORM, answering an offer took four round trips before any check:
the offer's slot and entry read, the slot locked, the entry locked, then the
offer locked and read with its person, slot, site and procedure (and the slot
read once more by the booking). Here one prepared statement locks the three
rows in the order of ``allocation.services.offers`` (slot, entry, offer: the
``FOR UPDATE OF`` list is the order PostgreSQL locks a row's tables in) and
reads what the answer needs, hydrated as the ORM would have
(``core.db.JoinedRow``).

Before those three, the statement locks the acting account's row and the
person's ``FOR KEY SHARE`` and says whether the actor is suspended
(``accounts.suspension``): a suspension locks its account first, then
withdraws the person's offers, so the two never wait for each other in
opposite orders.

An applicant answering reads only their own offer: the statement filters on
the account, so another person's offer is neither read nor locked (it answers
as missing). Staff are checked after the read (``booking.permissions``).

Once the booking's statement has turned the held seat into the appointment,
``offer_accepted_write`` marks the offer accepted, the entry served and writes
the audit row in one more statement (three through the ORM).

A join is one statement too (``entry_join``), its own transaction: it reads
what the person's standing is (``allocation.services.waitlist``'s query, which
locks the acting account ``FOR KEY SHARE``), and only if nothing refuses them
writes the entry and its audit row. An entry the database refuses as a second
one in force for the person is not written (``ON CONFLICT DO NOTHING``), nor
its audit row, so no savepoint is needed to tell it apart.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from accounts.models import User
from accounts.suspension import suspended_locked_sql
from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.rules import priority_class_raised_sql
from audit.models import AuditEvent
from booking.models import Applicant, Horizon, Procedure, Site, Slot
from core.db import JoinedRow, prepared_run
from core.records import insert_cte, row_record

_JOIN = (
    (Slot, "s"),
    (WaitlistEntry, "e"),
    (Offer, "o"),
    (Applicant, "a"),
    (User, "u"),  # a walk-in has no account: a LEFT JOIN
    (Site, "st"),
    (Procedure, "p"),
    (Horizon, "h"),  # none yet for a new procedure: a LEFT JOIN
)


@cache
def _row() -> JoinedRow:
    return JoinedRow(_JOIN)


@cache
def _statement() -> str:
    quote = connection.ops.quote_name

    def table(model) -> str:
        return quote(model._meta.db_table)

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    person = (
        f"SELECT pa.{column(Applicant, 'user')} FROM {table(Offer)} po "  # noqa: S608
        f"JOIN {table(Applicant)} pa ON pa.id = po.{column(Offer, 'applicant')} WHERE po.id = %s"
    )
    # The accounts first (MATERIALIZED, asked by a one-time condition of the
    # main query, so computed before it reads or locks any row).
    return (
        f"WITH accounts AS MATERIALIZED (SELECT {suspended_locked_sql('%s')} AS actor, "  # noqa: S608
        f"{suspended_locked_sql(person)} AS person) "
        f"SELECT {_row().columns}, (SELECT actor FROM accounts) "
        f"FROM {table(Offer)} o "
        f"JOIN {table(Slot)} s ON s.id = o.{column(Offer, 'slot')} "
        f"JOIN {table(WaitlistEntry)} e ON e.id = o.{column(Offer, 'entry')} "
        f"JOIN {table(Applicant)} a ON a.id = o.{column(Offer, 'applicant')} "
        f"LEFT JOIN {table(User)} u ON u.id = a.{column(Applicant, 'user')} "
        f"JOIN {table(Site)} st ON st.id = s.{column(Slot, 'site')} "
        f"JOIN {table(Procedure)} p ON p.id = s.{column(Slot, 'procedure')} "
        f"LEFT JOIN {table(Horizon)} h ON h.{quote(Horizon._meta.pk.column)} = p.id "
        f"WHERE o.id = %s AND (%s::bigint IS NULL OR a.{column(Applicant, 'user')} = %s) "
        "AND (SELECT person FROM accounts) IS NOT NULL "
        "FOR UPDATE OF s, e, o"
    )


def offer_locked_read(
    offer_id: int, *, actor_id: int | None, only_account: int | None
) -> tuple[Offer | None, bool]:
    """The offer of ``offer_id`` with its slot and entry, all three locked, and
    its person (with their account), slot, site and procedure cached on it;
    ``None`` if there is none, or (``only_account``) if it is not that
    account's person's. And whether the account ``actor_id`` (``None``: no
    account acts) is suspended, its row and the person's account's locked
    ``FOR KEY SHARE`` first. Inside the caller's transaction."""
    row = prepared_run(_statement(), [actor_id, offer_id, offer_id, only_account, only_account])
    if row is None:
        return None, False
    slot, entry, offer, applicant, user, site, procedure, horizon = _row().instances(row)
    Applicant.user.field.set_cached_value(applicant, user)
    Slot.site.field.set_cached_value(slot, site)
    Slot.procedure.field.set_cached_value(slot, procedure)
    Procedure.horizon.related.set_cached_value(procedure, horizon)
    WaitlistEntry.applicant.field.set_cached_value(entry, applicant)
    Offer.entry.field.set_cached_value(offer, entry)
    Offer.applicant.field.set_cached_value(offer, applicant)
    Offer.slot.field.set_cached_value(offer, slot)
    if offer.procedure_id == procedure.pk:
        Offer.procedure.field.set_cached_value(offer, procedure)
    return offer, bool(row[_row().width])


@cache
def _accepted_statement() -> str:
    quote = connection.ops.quote_name

    def columns(model, *names: str) -> str:
        return ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in names)

    offer = quote(Offer._meta.db_table)
    entry = quote(WaitlistEntry._meta.db_table)
    return (
        f"WITH o AS (UPDATE {offer} SET "  # noqa: S608
        f"{columns(Offer, 'status', 'answered_at', 'appointment')} WHERE id = %s RETURNING id), "
        f"e AS (UPDATE {entry} SET "
        f"{columns(WaitlistEntry, 'status', 'appointment', 'ended_at', 'updated_at')} "
        "WHERE id = %s RETURNING id), "
        f"{insert_cte('audit', AuditEvent, source='o', with_pk=False)} "
        "SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM e)"
    )


def offer_accepted_write(
    *, offer: Offer, appointment_id: int, now: datetime, audit: AuditEvent
) -> None:
    """The offer (locked by ``offer_locked_read``) accepted with
    ``appointment_id``, its entry served, ``audit`` written: one statement."""
    prepared_run(
        _accepted_statement(),
        [
            OfferStatus.ACCEPTED.value,
            now,
            appointment_id,
            offer.pk,
            EntryStatus.SERVED.value,
            appointment_id,
            now,
            now,
            offer.entry_id,
            row_record(audit),
        ],
    )


# The facts a join's statement reads of the person (``entry_join``'s
# ``standing``), in the order of its row.
STANDING_FACTS = (
    "booked",
    "blocked",
    "suspended",
    "court_order",
    "cancelled_by_prefecture",
)


@cache
def _join_statement(standing: str) -> str:
    quote = connection.ops.quote_name
    details = quote(AuditEvent._meta.get_field("details").column)
    klass = quote(WaitlistEntry._meta.get_field("priority_class").column)
    raised = priority_class_raised_sql(
        court_order="ok.court_order", cancelled_by_prefecture="ok.cancelled_by_prefecture"
    )
    # Only a person the facts do not refuse is written.
    ok = (
        "(SELECT * FROM standing "
        "WHERE NOT (standing.booked OR standing.blocked OR standing.suspended > 0)) AS ok"
    )
    entry = insert_cte(
        "entry",
        WaitlistEntry,
        source=ok,
        with_pk=False,
        conflict_skipped=True,
        taken={klass: f"COALESCE({raised}, r.{klass})"},
        returning=f"id, {klass}",
    )
    # The audit row says which entry (its id is known once inserted) and its class.
    audit = insert_cte(
        "audit",
        AuditEvent,
        source="entry",
        with_pk=False,
        taken={
            details: f"jsonb_set(jsonb_set(r.{details}::jsonb, '{{entry}}', to_jsonb(entry.id)),"
            f" '{{priority_class}}', to_jsonb(entry.{klass}))"
        },
    )
    facts = ", ".join(f"standing.{quote(name)}" for name in STANDING_FACTS)
    return (
        f"WITH standing AS MATERIALIZED ({standing}), {entry}, {audit} "  # noqa: S608
        f"SELECT {facts}, (SELECT id FROM entry), (SELECT {klass} FROM entry) FROM standing"
    )


def entry_join(
    *, standing: tuple[str, list], entry: WaitlistEntry, audit: AuditEvent
) -> tuple[dict, bool] | None:
    """A join in one statement: read the person's ``standing`` (the SQL and
    parameters of a query whose row is ``STANDING_FACTS``; it locks the acting
    account), and unless it refuses them (an active appointment, a block in
    force, a suspended account) insert ``entry`` and ``audit``, whose
    ``details`` get the entry's id and class. The entry's class is the one of
    a court order or a closure's right read there, else its own (the permit's).
    Returns the facts read and whether the entry was written (not when
    refused, nor when a unique index refuses it as a second entry in force:
    ``ON CONFLICT DO NOTHING``), ``None`` if there is no such person."""
    sql, params = standing
    row = prepared_run(_join_statement(sql), [*params, row_record(entry), row_record(audit)])
    if row is None:
        return None
    facts = dict(zip(STANDING_FACTS, row[: len(STANDING_FACTS)], strict=True))
    pk, klass = row[len(STANDING_FACTS) :]
    if pk is None:
        return facts, False
    entry.pk = pk
    entry.priority_class = klass
    entry._state.adding = False
    entry._state.db = connection.alias
    audit.details["entry"] = pk
    audit.details["priority_class"] = klass
    return facts, True
