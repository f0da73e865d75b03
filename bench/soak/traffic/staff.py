"""What an agent does on their turn, through the back office's API: record a
court-ordered convocation for someone on the list (their entry moves to the
class ``COURT_ORDER``), close a slot of the list whose appointment a
waitlister holds (cancelled, the person put back on the list ahead of the
people without priority: the agent reads their new entry), lift that closure
a while later, read the orders not served. The mediator's side (walk-ins on
the list) is the waitlisters' turn played for them (``waitlist.py``).

Each result is what the agent knows; the end checks compare it with the
database (``bench.soak.checks.waitlist``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bench.soak.traffic.people import Agent, Applicant

# An agent's turn: record an order, close a slot (or lift the closure open), read.
STAFF_MIX = {"injunction": 45, "close": 30, "injunctions": 25}
# A closure is lifted on the agent's first turn this many seconds after it.
LIFT_AFTER = 6.0


class Staffing:
    """``Traffic``'s agents' turns (its state: ``ordered``, ``closures``,
    ``placed``, ``closed_slots``, ``queue_slots``...; its ``request``)."""

    async def staff_turn(self, agent: Agent) -> None:
        open_closure = next((pk for pk, c in self.closures.items() if not c["lifted"]), None)
        if (
            open_closure is not None
            and time.monotonic() - self.closures[open_closure]["at"] > LIFT_AFTER
        ):
            await self._lift(agent, open_closure)
            return
        kinds = list(STAFF_MIX)
        kind = self.random.choices(kinds, weights=[STAFF_MIX[k] for k in kinds])[0]
        if kind == "injunction" and await self._record_order(agent):
            return
        if (
            kind == "close"
            and open_closure is None
            and not self.closing
            and await self._close(agent)
        ):
            return
        await self.request(
            "injunctions", "GET", "/api/v1/agent/injunctions/?state=not_served", agent.auth
        )

    def _waitlisting(self) -> list[Applicant]:
        return [a for a in self.applicants if a.waiting is not None]

    async def _record_order(self, agent: Agent) -> bool:
        """A court order for someone on the list (no order yet): their entry
        moves ahead of everyone, in the transaction that records it."""
        waiting = [
            a for a in self._waitlisting() if a.waiting.entry and a.person not in self.ordered
        ]
        if not waiting:
            return False
        who = self.random.choice(waiting)
        # Dated yesterday (UTC): never "in the future" in the prefecture's time zone.
        ordered_on = datetime.now(UTC).date() - timedelta(days=1)
        status, body = await self.request(
            "injunction",
            "POST",
            "/api/v1/agent/injunctions/",
            agent.auth,
            {
                "applicant": who.person,
                "court": "Tribunal administratif de Montreuil",
                "case_number": f"SOAK-{len(self.ordered) + 1}",
                "ordered_on": ordered_on.isoformat(),
                "deadline": (ordered_on + timedelta(days=30)).isoformat(),
                "procedure": self.queue_procedure,
                "site": self.random.choice(self.queue_sites),
            },
        )
        if status == 201:
            self.ordered[who.person] = body["id"]
            self.events["injunctions"] += 1
        return True

    async def _close(self, agent: Agent) -> bool:
        """Close the slot of an appointment a waitlister holds from the list.
        The people holding it are locked first (none of them acts meanwhile),
        then told, as the closure's message tells them, that it is cancelled
        and that they are back on the list, which the agent reads."""
        holding = [
            a
            for a in self._waitlisting()
            if a.waiting.served and a.waiting.served[1] not in self.closed_slots
        ]
        if not holding:
            return False
        slot = self.random.choice(holding).waiting.served[1]
        affected = sorted(
            (a for a in holding if a.waiting.served[1] == slot), key=lambda a: a.person
        )
        self.closing = True
        try:
            for who in affected:
                await who.lock.acquire()
            try:
                return await self._close_locked(agent, slot, affected)
            finally:
                for who in affected:
                    who.lock.release()
        finally:
            self.closing = False

    async def _close_locked(self, agent: Agent, slot: int, affected: list[Applicant]) -> bool:
        affected = [a for a in affected if a.waiting.served and a.waiting.served[1] == slot]
        if not affected:
            return False
        site, starts_at, ends_at = self.queue_slots[str(slot)]
        self.closed_slots.add(slot)
        status, body = await self.request(
            "close",
            "POST",
            "/api/v1/agent/closures/",
            agent.auth,
            {
                "site": site,
                "procedure": self.queue_procedure,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "kind": "other",
                "reason": "Soak: the counter is closed",
            },
        )
        if status != 201:
            return True
        self.closures[body["id"]] = {"lifted": False, "at": time.monotonic()}
        self.events["closed"] += 1
        if body["slots_closed"] != 1 or body["appointments_cancelled"] != len(affected):
            self._surprise(
                f"closure {body['id']} of slot {slot}: {body['slots_closed']} slots, "
                f"{body['appointments_cancelled']} cancelled, {len(affected)} expected"
            )
        for who in affected:
            who.waiting.served = None
            self.events["closure_cancelled"] += 1
            await self._placed_read(agent, who, site)
        return True

    async def _placed_read(self, agent: Agent, who: Applicant, site: str) -> None:
        """The person the closure put back on the list: one entry in force, for
        the closed slot's site, every weekday; now theirs."""
        status, body = await self.request(
            "agent_entries", "GET", f"/api/v1/waitlist/?applicant={who.person}", agent.auth
        )
        if status != 200:
            return
        rows = body["results"]
        waiting = who.waiting
        if len(rows) != 1 or rows[0]["sites"] != [site] or rows[0]["weekdays_excluded"]:
            self._surprise(f"person {who.person} put back by a closure, the list says {rows}")
            return
        waiting.entry, waiting.paused = rows[0]["id"], rows[0]["status"] == "paused"
        waiting.offer, waiting.answer = None, ""
        self.placed.append(rows[0]["id"])
        self.events["placed"] += 1

    async def _lift(self, agent: Agent, closure: int) -> None:
        status, body = await self.request(
            "lift", "POST", f"/api/v1/agent/closures/{closure}/lift/", agent.auth
        )
        if status == 200:
            self.closures[closure]["lifted"] = True
            self.events["lifted"] += 1
            if body["lifted_at"] is None:
                self._surprise(f"closure {closure} lifted, lifted_at null")
