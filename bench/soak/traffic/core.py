"""The soak's traffic itself: the requests (timed, their answers checked
against what each kind may answer), the pacing, each applicant acted for by
one task at a time, and what the run returns. The turns are
``booking.Bookings`` (applicants), ``waitlist.Waitlisting`` (waitlisters, and
walk-ins on the list through the mediator) and ``staff.Staffing`` (agents)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from urllib.parse import urlsplit

from bench.loadgen import _encode, _one
from bench.soak.traffic.booking import DEFAULT_MIX, Bookings
from bench.soak.traffic.people import Agent, Applicant, Waiting
from bench.soak.traffic.staff import Staffing
from bench.soak.traffic.waitlist import WALK_IN, Waitlisting

WAITLIST_KINDS = (
    "join",
    "entries",
    "offers",
    "accept",
    "decline",
    "leave",
    "change",
    "resume",
    "queue_cancel",
)
# What each kind of request may answer: anything else is a failure of the soak.
EXPECTED = {
    "availability": {200},
    "appointments": {200},
    "detail": {200},
    "book": {201, 409},
    "cancel": {200},
    "reschedule": {200, 409},
    "home": {200},
    "substitution": {201},
    # The waiting list (the waitlisters: ``WAITLIST_KINDS``). Each knows its entry,
    # so a join, a leave and a resume are never refused; an offer may have expired (the soak's beat)
    # between the read that showed it and the answer.
    "join": {201},
    "entries": {200},
    "offers": {200},
    "accept": {201, 409},
    "decline": {200, 409},
    "leave": {200},
    "change": {200},
    "resume": {200},
    "queue_cancel": {200},
}
# The same, by the access point's mediator for a walk-in on the list.
EXPECTED |= {f"{WALK_IN}{kind}": EXPECTED[kind] for kind in WAITLIST_KINDS}
# An agent (``staff.py``): a court order for someone on the list (never twice for one
# person), a closure of a slot with an appointment from the list and its lift, the
# entry a closure put back (read for the person), the orders not served.
EXPECTED |= {
    "injunction": {201},
    "close": {201},
    "lift": {200},
    "agent_entries": {200},
    "injunctions": {200},
}
# What a 409 of these kinds may say (anything else is unexpected).
EXPECTED_CODES = {
    kind: {"offer_expired", "offer_not_open"}
    for kind in ("accept", "decline", f"{WALK_IN}accept", f"{WALK_IN}decline")
}


AGENT_DESKS = 2


class Traffic(Bookings, Waitlisting, Staffing):
    def __init__(self, spec: dict) -> None:
        self.base = spec["base"]
        url = urlsplit(self.base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.seconds = float(spec["seconds"])
        self.rate = float(spec["rate"])
        self.concurrency = int(spec["concurrency"])
        self.procedures: dict[str, list[int]] = spec["procedures"]
        self.sites: list[str] = spec["sites"]
        self.mix = {**DEFAULT_MIX, **spec.get("mix", {})}
        self.random = random.Random(spec.get("seed", 1))
        self.idle: asyncio.Queue[Applicant | Agent] = asyncio.Queue()
        for token in spec["applicants"]:
            self.idle.put_nowait(Applicant(token))
        for token, applicant_id in spec.get("walk_ins", []):
            self.idle.put_nowait(Applicant(token, applicant_id))
        queue = spec.get("queue") or {}
        self.queue_procedure: str = queue.get("procedure", "")
        self.queue_sites: list[str] = queue.get("sites", [])
        for token, person in spec.get("waitlisters", []):
            self.idle.put_nowait(Applicant(token, waiting=Waiting(), person=person))
        for token, person, permit in spec.get("walk_in_waitlisters", []):
            waiting = Waiting(permit=permit)
            self.idle.put_nowait(Applicant(token, person, waiting=waiting, person=person))
        self.applicants: list[Applicant] = list(self.idle._queue)  # type: ignore[attr-defined]
        # Two agents' desks (staff act far less than the people they serve).
        if spec.get("agent") and self.queue_procedure:
            for _desk in range(AGENT_DESKS):
                self.idle.put_nowait(Agent(spec["agent"]))
        self.queue_slots: dict[str, list[str]] = spec.get("queue_slots", {})
        # What the agents know: court orders by person, closures, the entries
        # closures put back, the slots closed (never closed twice).
        self.ordered: dict[int, int] = {}
        self.closures: dict[int, dict] = {}
        self.placed: list[int] = []
        self.closed_slots: set[int] = set()
        self.closing = False
        # What availability last said was free, per procedure (bots and the
        # unlucky also try full slots: see ``_pick``).
        self.free: dict[str, list[int]] = {slug: list(ids) for slug, ids in self.procedures.items()}
        self.samples: list[list] = []
        self.unexpected: list[dict] = []
        self.events = {
            "booked": 0,
            "cancelled": 0,
            "rescheduled": 0,
            "joined": 0,
            "accepted": 0,
            "declined": 0,
            "changed": 0,
            "left": 0,
            "resumed": 0,
            "queue_cancelled": 0,
            "injunctions": 0,
            "closed": 0,
            "closure_cancelled": 0,
            "placed": 0,
            "lifted": 0,
        }
        self.accepted: dict[int, str] = {}  # offer id -> the appointment's reference
        self.declined: list[int] = []
        self.surprises: list[str] = []  # answers that contradict what a waitlister knows
        self.mediated = 0  # bookings a mediator made for a walk-in
        self.sent = 0
        self.substitutions = 0

    # --- Requests ----------------------------------------------------------------------

    async def request(self, kind: str, method: str, path: str, headers: dict, body=None):
        started = time.perf_counter()
        raw = _encode(
            {"method": method, "path": path, "headers": headers, "body": body}, self.host, self.port
        )
        try:
            status, data = await _one(self.host, self.port, raw, self.timeout)
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            status, data = 0, repr(exc).encode()
        latency = time.perf_counter() - started
        payload = None
        code = ""
        if data[:1] in (b"{", b"["):
            try:
                payload = json.loads(data)
            except ValueError:
                payload = None
            if isinstance(payload, dict) and status >= 400:
                code = str(payload.get("code", ""))
        self.samples.append([kind, status, latency, started - self.begin, code])
        odd = status not in EXPECTED[kind] or (
            status == 409 and kind in EXPECTED_CODES and code not in EXPECTED_CODES[kind]
        )
        if odd and len(self.unexpected) < 50:
            self.unexpected.append(
                {
                    "kind": kind,
                    "status": status,
                    "path": path,
                    "body": data[:600].decode(errors="replace"),
                }
            )
        return status, payload

    async def act(self, who: Applicant | Agent) -> None:
        async with who.lock:
            if isinstance(who, Agent):
                await self.staff_turn(who)
            elif who.waiting is not None:
                await self.wait(who, who.waiting)
            else:
                await self.turn(who)

    # --- The run ------------------------------------------------------------------------

    async def worker(self) -> None:
        while True:
            index = self.sent
            self.sent += 1
            start_at = self.begin + index / self.rate
            if start_at - self.begin >= self.seconds:
                return
            await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
            who = await self.idle.get()
            try:
                await self.act(who)
            finally:
                self.idle.put_nowait(who)

    async def run(self, timeout: float) -> dict:
        self.timeout = timeout
        self.begin = time.perf_counter()
        await asyncio.gather(*(self.worker() for _ in range(self.concurrency)))
        return {
            "seconds": time.perf_counter() - self.begin,
            "samples": self.samples,
            "unexpected": self.unexpected,
            "events": self.events,
            "mediated": self.mediated,
            "holds": [ref for a in self.applicants for ref, _slot in a.holds.values()]
            + [a.waiting.served[0] for a in self.applicants if a.waiting and a.waiting.served],
            "waitlist": {
                "entries": [
                    a.waiting.entry for a in self.applicants if a.waiting and a.waiting.entry
                ],
                "accepted": self.accepted,
                "declined": self.declined,
                "surprises": self.surprises,
            },
            "staff": {
                "injunctions": sorted(self.ordered.values()),
                "closures": {pk: c["lifted"] for pk, c in self.closures.items()},
                "placed": self.placed,
            },
        }
