"""When a slot may be seen: the one rule that the pages, the API, the fast
refusal of full slots and the booking services ask.

A slot the caller may not see (capacity not yet visible, beyond the booking
horizon, in a pool reserved for others) answers exactly as a slot that does
not exist: the same status, the same body. Slot ids are sequential; any other
answer would tell a bot which ids are coming and when.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from accounts.models import Role, User
from booking import horizon
from booking.models import Procedure

# Staff who may book what applicants do not see yet (not visible, beyond the horizon).
PRIVILEGED_ROLES = (Role.AGENT, Role.SUPERVISOR)


def is_privileged(actor: User) -> bool:
    return actor.role in PRIVILEGED_ROLES


def horizon_end(procedure: Procedure, now: datetime) -> datetime:
    """Slots of ``procedure`` starting before this moment are within its booking
    horizon at ``now``; later ones are not released yet (``booking.horizon``).
    Reads the procedure's ``Horizon`` unless it came with it."""
    return horizon.end_at(horizon_days=procedure.horizon_days, row=horizon.of(procedure), now=now)


def slot_hidden(
    *,
    pool: str,
    published_at: datetime,
    starts_at: datetime,
    horizon_end: datetime,
    pools: Collection[str],
    privileged: bool,
    now: datetime,
) -> bool:
    """Whether a caller who may use ``pools`` (``privileged``: an agent) may
    not see this slot at ``now``: it must then answer as a missing one."""
    if pool not in pools:
        return True
    if privileged:
        return False
    return published_at > now or starts_at >= horizon_end
