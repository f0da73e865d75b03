"""The booking's hot path as one SQL statement, on PostgreSQL.

Through the ORM a booking took nine round trips (``BEGIN``, the slot, an
``exists()`` pre-check, the conditional ``UPDATE``, ``SAVEPOINT``, the
appointment's ``INSERT``, ``RELEASE``, the outbox ``INSERT``, ``COMMIT``) and
compiled four queries. Here the seat, the appointment, its audit row and its
outbox rows are one statement of data-modifying CTEs:

    WITH applicant AS MATERIALIZED (SELECT id, <identity> FROM booking_applicant
                     WHERE id = %s AND (<identity>) = (%s, ...)
                     AND NOT EXISTS (<a booking block in force>) FOR SHARE),
         booker AS MATERIALIZED (SELECT <the booker's account suspended?,
                     its row FOR KEY SHARE> AS suspended),
         claimed AS (UPDATE booking_slot SET booked = booked + 1
                     WHERE id = %s AND booked + held < capacity
                     AND EXISTS (SELECT FROM applicant)
                     AND (SELECT suspended FROM booker) = 0 RETURNING id),
         appointment AS (INSERT INTO booking_appointment (...)
                         SELECT ..., applicant.<identity> FROM claimed, applicant ...
                         RETURNING id),
         audit AS (INSERT INTO audit_auditevent (...) SELECT ... FROM appointment),
         m0 AS (INSERT INTO notifications_message (...) SELECT ... FROM appointment
                RETURNING id), ...
    SELECT (SELECT id FROM appointment), (SELECT id FROM m0), ...

The identity is copied from the applicant's row, read ``FOR SHARE`` in the
same statement and only if it still holds the identity the checks were made
on: an identity correction (``FOR UPDATE``) in flight makes the booking wait
for it, then refuse (``IdentityChanged``, nothing written); one that comes
after waits for the booking and sees its appointment. No new round trip.
The booker's account is locked the same way (``FOR KEY SHARE``, which only a
suspension's ``FOR UPDATE`` waits for): a suspension in flight makes the
booking wait, then refuse (``AccountSuspended``); one that comes after waits
for the booking and cancels its appointment (``accounts.suspension``).

No seat, no row: nothing else is written. A second active appointment for the
same person and procedure violates the partial unique index, and the whole
statement fails, its ``UPDATE`` with it: the database guarantees both rules,
as before. A statement is atomic on its own, so outside a transaction none is
opened (no ``BEGIN``/``COMMIT``); inside one, a savepoint keeps a refusal from
breaking the caller's transaction.

The rows themselves are built by their owners (``audit.services.audit_event``,
``booking.signals.appointment_messages_wanted``: notifications) as unsaved
model instances; each travels as one JSON record and is inserted by a CTE of
``core.records`` (``row_record``, ``insert_cte``), the columns read once from
the models' metadata, so that a new column needs no change here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Model
from django_countries.fields import Country

from accounts.errors import AccountSuspended
from accounts.suspension import suspended_locked_sql
from audit.models import AuditEvent
from booking import errors, horizon
from booking.models import (
    IDENTITY_SNAPSHOT_FIELDS,
    Applicant,
    Appointment,
    BookingBlock,
    Horizon,
    Procedure,
    Site,
    Slot,
)
from core.db import JoinedRow, prepared_run
from core.records import insert_cte, row_record

# --- Reading the slot ----------------------------------------------------------------

_SLOT_JOIN: tuple[tuple[type[Model], str], ...] = (
    (Slot, "s"),
    (Site, "st"),
    (Procedure, "p"),
    (Horizon, "h"),  # none yet for a new procedure: a LEFT JOIN
)


@cache
def _slot_row() -> JoinedRow:
    return JoinedRow(_SLOT_JOIN)


@cache
def _slot_statement() -> str:
    """The slot with its site and procedure. Built once: compiling the ORM's
    ``select_related`` query cost more CPU than the rest of the read."""
    table = connection.ops.quote_name(Slot._meta.db_table)
    columns = _slot_row().columns
    return f"SELECT {columns} FROM {table} s {_site_and_procedure('JOIN')} WHERE s.id = %s"  # noqa: S608


def _site_and_procedure(join: str) -> str:
    """The joins of the slot ``s`` to its site ``st`` and procedure ``p``."""
    quote = connection.ops.quote_name
    site_id = quote(Slot._meta.get_field("site").column)
    procedure_id = quote(Slot._meta.get_field("procedure").column)
    horizon_id = quote(Horizon._meta.pk.column)
    return (
        f"{join} {quote(Site._meta.db_table)} st ON st.id = s.{site_id} "
        f"{join} {quote(Procedure._meta.db_table)} p ON p.id = s.{procedure_id} "
        f"LEFT JOIN {quote(Horizon._meta.db_table)} h ON h.{horizon_id} = p.id"
    )


@cache
def slot_joined() -> tuple[str, str]:
    """The slot read as columns and ``LEFT JOIN`` clauses to add to another
    statement (the token lookup's, ``booking.api.hotpath``), with the slot's id
    as parameter: what the booking view reads in one round trip."""
    table = connection.ops.quote_name(Slot._meta.db_table)
    joins = f"LEFT JOIN {table} s ON s.id = %s {_site_and_procedure('LEFT JOIN')}"
    return _slot_row().columns, joins


def slot_read_of(columns: tuple) -> SlotRead | None:
    """The ``SlotRead`` of ``slot_joined``'s columns, ``None`` if there is no such slot."""
    return None if not columns or columns[0] is None else SlotRead(columns)


# The columns a refusal looks at, read off the row without any instance: per
# name, the model of ``_SLOT_JOIN`` they come from and their attname.
_SEATS = {
    "booked": (Slot, "booked"),
    "held": (Slot, "held"),
    "capacity": (Slot, "capacity"),
    "pool": (Slot, "pool"),
    "published_at": (Slot, "published_at"),
    "starts_at": (Slot, "starts_at"),
    "horizon_days": (Procedure, "horizon_days"),
    "_h_days": (Horizon, "horizon_days"),
    "_h_released_until": (Horizon, "released_until"),
    "_h_next_release_at": (Horizon, "next_release_at"),
    "_h_next_released_until": (Horizon, "next_released_until"),
}


class SlotRead:
    """One read of a slot with its site and procedure.

    The columns a refusal looks at (``_SEATS``: the slot's seats, pool, times,
    its procedure's horizon) are attributes read off the row; the model
    instances are built on the first ``slot()``: a slot refused on its seats
    (sold out, in a storm) costs no instance. For ``booking.rules`` it is its
    own procedure's horizon too (``horizon_days``, ``horizon``).
    """

    __slots__ = ("_row", "_slot", *_SEATS)

    def __init__(self, row: tuple) -> None:
        self._row = row
        self._slot: Slot | None = None
        for name, position in _seat_positions().items():
            setattr(self, name, JoinedRow.value(row, position))

    def slot(self) -> Slot:
        """What ``Slot.objects.select_related("site", "procedure__horizon").get(pk=...)``
        returns."""
        if self._slot is None:
            self._slot = _slot_of(self._row)
        return self._slot

    @property
    def horizon(self) -> horizon.HorizonState | None:
        """The procedure's ``Horizon`` values, as ``Procedure.horizon`` would give them."""
        if self._h_released_until is None:
            return None
        return horizon.HorizonState(
            horizon_days=self._h_days,
            released_until=self._h_released_until,
            next_release_at=self._h_next_release_at,
            next_released_until=self._h_next_released_until,
        )


@cache
def _seat_positions() -> dict[str, tuple[int, object, list]]:
    row = _slot_row()
    return {name: row.position(*key) for name, key in _SEATS.items()}


def slot_read(slot_id: int) -> SlotRead | None:
    """The slot of ``slot_id`` with its site and procedure, in one precompiled
    statement, or ``None``."""
    row = prepared_run(_slot_statement(), [slot_id])
    return None if row is None else SlotRead(row)


def _slot_of(row: tuple) -> Slot:
    slot, site, procedure, horizon_row = _slot_row().instances(row)
    Slot.site.field.set_cached_value(slot, site)
    Slot.procedure.field.set_cached_value(slot, procedure)
    # As select_related caches a reverse one-to-one: None when there is no row.
    Procedure.horizon.related.set_cached_value(procedure, horizon_row)
    return slot


# --- Booking ---------------------------------------------------------------------------


@cache
def _identity_columns() -> list[str]:
    """The identity copied onto an appointment: the same columns in both tables."""
    quote = connection.ops.quote_name
    return [quote(Applicant._meta.get_field(name).column) for name in IDENTITY_SNAPSHOT_FIELDS]


def _block_in_force() -> str:
    """A block on the applicant ``a`` for the procedure (first parameter) still
    in force at now (second): ``booking.rules.booking_block``'s condition."""
    quote = connection.ops.quote_name
    table = quote(BookingBlock._meta.db_table)
    applicant = quote(BookingBlock._meta.get_field("applicant").column)
    procedure = quote(BookingBlock._meta.get_field("procedure").column)
    until = quote(BookingBlock._meta.get_field("until").column)
    return (
        f"SELECT FROM {table} b WHERE b.{applicant} = a.id "
        f"AND b.{procedure} = %s AND b.{until} > %s"
    )


@cache
def _sql(messages: int, message_model: type[Model] | None, held: bool = False) -> str:
    """The booking statement with ``messages`` outbox rows of ``message_model``;
    ``held``: the seat is one held for the person (an offer of the waiting list
    accepted), which becomes the booking in the same ``UPDATE``."""
    quote = connection.ops.quote_name
    slot = quote(Slot._meta.db_table)
    identity = _identity_columns()
    checked = ", ".join(f"a.{column}" for column in identity)
    taken = "booked = booked + 1, held = held - 1" if held else "booked = booked + 1"
    seat = "held > 0" if held else "booked + held < capacity"
    ctes = [
        # The applicant's row, FOR SHARE, only if it still holds the identity the
        # checks were made on: a correction in flight (FOR UPDATE) makes this wait
        # for its commit, then finds the row changed and nothing is written; one
        # that comes after waits for this booking's commit and sees its
        # appointment. MATERIALIZED: read and locked once, before the seat.
        # Nor if a block is in force on the person for the procedure
        # (``booking.rules``: ``BookingBlock``, ``until`` after now).
        f"applicant AS MATERIALIZED (SELECT a.id, {checked} "  # noqa: S608
        f"FROM {quote(Applicant._meta.db_table)} a "
        f"WHERE a.id = %s AND ({checked}) = ({', '.join(['%s'] * len(identity))}) "
        f"AND NOT EXISTS ({_block_in_force()}) FOR SHARE)",
        # The booker's account, FOR KEY SHARE, and whether it is suspended
        # (``accounts.suspension``): a suspension in flight makes this wait for
        # its commit, then refuse; one that comes after waits for this booking
        # and cancels it. None (an offer's link): no row, nothing to refuse.
        f"booker AS MATERIALIZED (SELECT {suspended_locked_sql('%s')} AS suspended)",
        # ``held``: the seat held for the person becomes the booking.
        f"claimed AS (UPDATE {slot} SET {taken} WHERE id = %s AND {seat} "  # noqa: S608
        "AND EXISTS (SELECT FROM applicant) AND (SELECT suspended FROM booker) = 0 RETURNING id)",
        # The identity copied from the locked row, not from the caller's instance.
        insert_cte(
            "appointment",
            Appointment,
            source="claimed, applicant",
            with_pk=True,
            taken={column: f"applicant.{column}" for column in identity},
        ),
        insert_cte("audit", AuditEvent, source="appointment", with_pk=False),
    ]
    names = [f"m{i}" for i in range(messages)]
    ctes += [insert_cte(name, message_model, source="appointment", with_pk=False) for name in names]
    results = ", ".join(
        f"(SELECT id FROM {name})"  # noqa: S608
        for name in ["appointment", *names]
    )
    return (
        f"WITH {', '.join(ctes)} "  # noqa: S608
        f"SELECT (SELECT count(*) FROM applicant), (SELECT suspended FROM booker), {results}"
    )


# Appointment ids are drawn this many at a time: one round trip per block instead
# of one per booking. The ids a process has not used when it exits are gaps in
# the sequence, as the nextval of a rolled-back booking is; nothing orders
# appointments by id (they are listed by time).
ID_BLOCK = 20
_ids: dict[tuple[int, str], list[int]] = {}
_ids_lock = threading.Lock()


def appointment_id_next() -> int:
    """Draw the new appointment's id: the outbox rows' idempotency keys carry it.

    Taken from this process's block (per database; a forked child draws its own).
    """
    key = (os.getpid(), connection.settings_dict["NAME"])
    with _ids_lock:
        block = _ids.get(key)
        if not block:
            rows = prepared_run(_NEXT_IDS_SQL, [], fetch="all")
            # Popped from the end: the smallest first.
            block = _ids[key] = sorted((pk for (pk,) in rows), reverse=True)
        return block.pop()


# The table and column come from the model; the count is a constant of the
# code, not a parameter: with ``generate_series(1, $1)`` PostgreSQL guessed
# 1,000 rows for the generic plan, found it dearer than a custom one and
# planned the statement again at each run (``bench.statements`` fails then).
_NEXT_IDS_SQL = (
    "SELECT nextval(pg_get_serial_sequence("  # noqa: S608
    f"'{Appointment._meta.db_table}', '{Appointment._meta.pk.column}')) "
    f"FROM generate_series(1, {int(ID_BLOCK)})"
)


def book(
    *,
    slot_id: int,
    appointment: Appointment,
    audit: AuditEvent,
    messages: Sequence[Model],
    held: bool = False,
) -> list[int] | None:
    """Take a seat of ``slot_id`` and insert the rows, in one statement
    (``held``: the seat held for the person, ``Slot.held``, becomes the booking).

    ``appointment`` carries its id and the identity of its applicant as the
    caller checked it. Returns the outbox rows' ids, or ``None`` when the slot
    had no free seat (nothing was written). Raises ``IdentityChanged`` when the
    applicant's row no longer holds that identity (a correction committed
    meanwhile) or a block is in force on the person for the procedure at the
    appointment's ``created_at`` (the caller asks ``booking.rules.block_refusal``
    which), ``AccountSuspended`` when the booker's account (``booked_by``) is
    suspended, or was by a suspension this statement waited for
    (``accounts.suspension``), ``IntegrityError`` when the database refuses the
    appointment (then nothing was written either).
    """
    if appointment.pk is None or audit.pk is not None or any(m.pk is not None for m in messages):
        raise ValueError("the appointment carries its id, the audit row and messages do not")
    identity = [getattr(appointment, name) for name in IDENTITY_SNAPSHOT_FIELDS]
    params = [
        appointment.applicant_id,
        *(str(value) if isinstance(value, Country) else value for value in identity),
        appointment.procedure_id,
        appointment.created_at,
        appointment.booked_by_id,
        slot_id,
        row_record(appointment),
        row_record(audit),
        *map(row_record, messages),
    ]
    # The outbox rows are of one model, whichever (booking does not know it).
    message_model = type(messages[0]) if messages else None
    applicant_found, suspended, *row = prepared_run(
        _sql(len(messages), message_model, held), params
    )
    if suspended:
        raise AccountSuspended()
    if not applicant_found:
        raise errors.IdentityChanged()
    if row[0] is None:  # no free seat (``held``: none held)
        return None
    for message, pk in zip(messages, row[1:], strict=True):
        message.pk = pk
        message._state.adding = False
        message._state.db = connection.alias
    return list(row[1:])
