"""The booking's hot path as one SQL statement, on PostgreSQL.

Through the ORM a booking took nine round trips (``BEGIN``, the slot, an
``exists()`` pre-check, the conditional ``UPDATE``, ``SAVEPOINT``, the
appointment's ``INSERT``, ``RELEASE``, the outbox ``INSERT``, ``COMMIT``) and
compiled four queries. Here the seat, the appointment, its audit row and its
outbox rows are one statement of data-modifying CTEs:

    WITH claimed AS (UPDATE booking_slot SET booked = booked + 1
                     WHERE id = %s AND booked < capacity RETURNING id),
         appointment AS (INSERT INTO booking_appointment (...) SELECT ... FROM claimed
                         RETURNING id),
         audit AS (INSERT INTO audit_auditevent (...) SELECT ... FROM appointment),
         m0 AS (INSERT INTO notifications_message (...) SELECT ... FROM appointment
                RETURNING id), ...
    SELECT (SELECT id FROM appointment), (SELECT id FROM m0), ...

No seat, no row: nothing else is written. A second active appointment for the
same person and procedure violates the partial unique index, and the whole
statement fails, its ``UPDATE`` with it: the database guarantees both rules,
as before. A statement is atomic on its own, so outside a transaction none is
opened (no ``BEGIN``/``COMMIT``); inside one, a savepoint keeps a refusal from
breaking the caller's transaction.

The rows themselves are built by their owners (``audit.services.audit_event``,
``notifications.services.appointment_messages``) as unsaved model instances;
this module only turns them into SQL, with the columns and casts read once
from the models' metadata, so that a new column needs no change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Field, Model

from audit.models import AuditEvent
from booking.models import Appointment, Procedure, Site, Slot
from notifications.models import Message

# --- Reading the slot ----------------------------------------------------------------

_SLOT_JOIN: tuple[tuple[type[Model], str], ...] = ((Slot, "s"), (Site, "st"), (Procedure, "p"))


@cache
def _slot_statement() -> tuple[str, list]:
    """The slot with its site and procedure: the SQL and, per model, its fields
    with their database converters. Built once: compiling the ORM's
    ``select_related`` query cost more CPU than the rest of the read."""
    quote = connection.ops.quote_name
    columns: list[str] = []
    layout = []
    for model, alias in _SLOT_JOIN:
        fields = []
        for field in model._meta.concrete_fields:
            col = field.get_col(alias)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            fields.append((field.attname, col, converters))
            columns.append(f"{alias}.{quote(field.column)}")
        layout.append((model, fields))
    site_id = quote(Slot._meta.get_field("site").column)
    procedure_id = quote(Slot._meta.get_field("procedure").column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Slot._meta.db_table)} s "  # noqa: S608
        f"JOIN {quote(Site._meta.db_table)} st ON st.id = s.{site_id} "
        f"JOIN {quote(Procedure._meta.db_table)} p ON p.id = s.{procedure_id} "
        "WHERE s.id = %s"
    )
    return sql, layout


def slot_with_site_and_procedure(slot_id: int) -> Slot | None:
    """What ``Slot.objects.select_related("site", "procedure").get(pk=...)``
    returns, or ``None``, in one precompiled statement."""
    sql, layout = _slot_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [slot_id])
        row = cursor.fetchone()
    if row is None:
        return None
    made = []
    values = iter(row)
    for model, fields in layout:
        attnames, converted = [], []
        for attname, col, converters in fields:
            value = next(values)
            for converter in converters:
                value = converter(value, col, connection)
            attnames.append(attname)
            converted.append(value)
        made.append(model.from_db(connection.alias, attnames, converted))
    slot, site, procedure = made
    Slot.site.field.set_cached_value(slot, site)
    Slot.procedure.field.set_cached_value(slot, procedure)
    return slot


# --- Booking ---------------------------------------------------------------------------


@cache
def _layout(model: type[Model], *, with_pk: bool) -> tuple[list[Field], str, str]:
    """The fields to insert, the quoted column list and a ``SELECT`` list of
    typed placeholders (typed, so that a ``NULL`` or a text literal takes the
    column's type in ``INSERT ... SELECT``)."""
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields)
    return fields, columns, values


def _params(obj: Model, fields: list[Field]) -> list:
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def _insert(name: str, model: type[Model], *, source: str, with_pk: bool) -> str:
    _, columns, values = _layout(model, with_pk=with_pk)
    table = connection.ops.quote_name(model._meta.db_table)
    # Identifiers and casts come from the models' metadata; values are parameters.
    return (
        f"{name} AS (INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {values} FROM {source} RETURNING id)"
    )


@cache
def _sql(messages: int) -> str:
    slot = connection.ops.quote_name(Slot._meta.db_table)
    ctes = [
        f"claimed AS (UPDATE {slot} SET booked = booked + 1 "  # noqa: S608
        "WHERE id = %s AND booked < capacity RETURNING id)",
        _insert("appointment", Appointment, source="claimed", with_pk=True),
        _insert("audit", AuditEvent, source="appointment", with_pk=False),
    ]
    names = [f"m{i}" for i in range(messages)]
    ctes += [_insert(name, Message, source="appointment", with_pk=False) for name in names]
    results = ", ".join(
        f"(SELECT id FROM {name})"  # noqa: S608
        for name in ["appointment", *names]
    )
    return f"WITH {', '.join(ctes)} SELECT {results}"


def appointment_id_next() -> int:
    """Draw the new appointment's id: the outbox rows' idempotency keys carry it."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_ID_SQL)
        return cursor.fetchone()[0]


_NEXT_ID_SQL = (
    "SELECT nextval(pg_get_serial_sequence("
    f"'{Appointment._meta.db_table}', '{Appointment._meta.pk.column}'))"
)


def book(
    *,
    slot_id: int,
    appointment: Appointment,
    audit: AuditEvent,
    messages: Sequence[Message],
) -> list[int] | None:
    """Take a seat of ``slot_id`` and insert the rows, in one statement.

    ``appointment`` carries its id. Returns the outbox rows' ids, or ``None``
    when the slot had no free seat (nothing was written). Raises
    ``IntegrityError`` when the database refuses the appointment (then nothing
    was written either).
    """
    params: list = [slot_id]
    params += _params(appointment, _layout(Appointment, with_pk=True)[0])
    params += _params(audit, _layout(AuditEvent, with_pk=False)[0])
    message_fields = _layout(Message, with_pk=False)[0]
    for message in messages:
        params += _params(message, message_fields)
    with connection.cursor() as cursor:
        cursor.execute(_sql(len(messages)), params)
        row = cursor.fetchone()
    if row[0] is None:
        return None
    for message, pk in zip(messages, row[1:], strict=True):
        message.pk = pk
        message._state.adding = False
        message._state.db = connection.alias
    return list(row[1:])
