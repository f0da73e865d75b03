"""Who plays the traffic: an applicant (or a walk-in, through the mediator)
and, for a waitlister, what they know of their place on the list; and an
agent's desk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Waiting:
    """What a waitlister knows of their place on the list."""

    entry: int | None = None  # their entry in force
    paused: bool = False
    offer: int | None = None  # the open offer they saw and mean to answer (or ignore)
    answer: str = ""  # "accept", "decline" or "ignore"
    ignored: set[int] = field(default_factory=set)
    served: tuple[str, int] | None = None  # (reference, slot) of the appointment an offer gave
    # A walk-in's permit expiry, which the mediator gives when joining for them.
    permit: str | None = None


@dataclass
class Applicant:
    token: str
    # A walk-in: the access point's mediator acts for them with ``token`` (theirs),
    # naming the person in each booking.
    applicant_id: int | None = None
    # procedure slug -> (reference, slot id) of the active appointment
    holds: dict[str, tuple[str, int]] = field(default_factory=dict)
    # A waitlister: plays the waiting list only.
    waiting: Waiting | None = None
    # The applicant id staff name them by (waitlisters: the agent's court orders
    # and closures; walk-ins: ``applicant_id``).
    person: int | None = None
    # Held while someone acts for them: their own turn, or an agent's closure
    # that cancels their appointment (so neither acts on stale knowledge).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


@dataclass
class Agent:
    """A prefecture agent's desk (the demo's agent, at the list's sites)."""

    token: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}
