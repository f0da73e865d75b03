"""The soak's load generator: ``python -m bench.soak.traffic SPEC OUT``.

Runs in its own process (the client's CPU is not the server's), as
``bench.loadgen`` does, and reuses its bare HTTP/1.1 client. Unlike
``bench.loadgen``, the traffic has state: applicants (each with an API token)
look at availability, book a seat they saw free, look at their appointments,
cancel and reschedule them; walk-ins do the same through the access point's
mediator, who names them in each booking (``{"slot", "applicant"}``), and
substitution requests come in by the public route. Every applicant is acted
for by one task at a time, so this process knows which appointments each one holds; the checks
compare that with the database afterwards.

Other applicants (``waitlisters``) play the waiting list of the procedure given
out by its list (``queue``): they join it (sites and weekdays drawn at random),
read their entries and their open offers, answer an offer they saw (accept,
decline, or leave it unanswered until it expires), change their sites and
weekdays (an open offer the new choice no longer fits is withdrawn), leave the
list, resume a paused entry, and cancel the appointment an accepted offer gave them (its seat
goes to the head of the list). Each knows its entry, its open offer and its
appointment; what the API answers that contradicts it is a ``surprise``.

``SPEC`` is JSON::

    {"base": "http://127.0.0.1:PORT", "seconds": 600, "rate": 40, "concurrency": 16,
     "seed": 1, "mix": {"availability": 40, ...},
     "procedures": {"slug": [slot ids]}, "sites": ["slug", ...],
     "applicants": ["token", ...], "walk_ins": [["mediator token", applicant id], ...],
     "queue": {"procedure": "slug", "sites": ["slug", ...]}, "waitlisters": ["token", ...]}

Starts are paced at ``rate`` requests/s. ``OUT`` gets the samples
``[kind, status, latency, start, code]`` (``code``: the ``code`` of a JSON
error, status 0: connection error or timeout), a few bodies of unexpected
answers, what each applicant holds at the end, the successful events
(bookings, cancellations, reschedules, accepted offers) that owe messages,
and what the waitlisters hold (entries in force, offers accepted and declined).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.loadgen import _encode, _one

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
    # The waiting list (the waitlisters). Each knows its entry, so a join, a leave
    # and a resume are never refused; an offer may have expired (the soak's beat)
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
# What a 409 of these kinds may say (anything else is unexpected).
EXPECTED_CODES = {
    "accept": {"offer_expired", "offer_not_open"},
    "decline": {"offer_expired", "offer_not_open"},
}

DEFAULT_MIX = {
    "availability": 40,
    "appointments": 10,
    "detail": 6,
    "book": 20,
    "cancel": 8,
    "reschedule": 12,
    "home": 4,
    # Requests by the substitution route (public, no account): a postal address
    # only, so they owe no message (the delivery checks count booking events').
    "substitution": 2,
}
# A waitlister's turn (``Traffic._choose_waitlist``): the state decides first (no
# entry: join; an offer they mean to answer: the answer; paused: resume; an
# appointment from the list: cancel it or read their offers), then these weights.
WAITLIST_MIX = {"offers": 70, "entries": 22, "change": 4, "leave": 4}
# What a waitlister does with an offer they see: accept, decline, or let it expire.
ANSWERS = {"accept": 60, "decline": 25, "ignore": 15}
# A waitlister holding an appointment from the list cancels it on a turn with this chance.
QUEUE_CANCEL_CHANCE = 0.25


@dataclass
class Waiting:
    """What a waitlister knows of their place on the list."""

    entry: int | None = None  # their entry in force
    paused: bool = False
    offer: int | None = None  # the open offer they saw and mean to answer (or ignore)
    answer: str = ""  # "accept", "decline" or "ignore"
    ignored: set[int] = field(default_factory=set)
    served: tuple[str, int] | None = None  # (reference, slot) of the appointment an offer gave


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

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


class Traffic:
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
        self.idle: asyncio.Queue[Applicant] = asyncio.Queue()
        for token in spec["applicants"]:
            self.idle.put_nowait(Applicant(token))
        for token, applicant_id in spec.get("walk_ins", []):
            self.idle.put_nowait(Applicant(token, applicant_id))
        queue = spec.get("queue") or {}
        self.queue_procedure: str = queue.get("procedure", "")
        self.queue_sites: list[str] = queue.get("sites", [])
        for token in spec.get("waitlisters", []):
            self.idle.put_nowait(Applicant(token, waiting=Waiting()))
        self.applicants = list(self.idle._queue)  # type: ignore[attr-defined]
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

    # --- What an applicant does ----------------------------------------------------------

    def _pick(self, slug: str, avoid: int | None = None) -> int:
        """A slot availability showed free, or (one time in ten) any slot of the
        procedure, free or not: what someone with a stale page or a bot sends."""
        seen = [pk for pk in self.free[slug] if pk != avoid]
        if seen and self.random.random() > 0.1:
            return self.random.choice(seen)
        return self.random.choice(self.procedures[slug])

    def _choose(self, who: Applicant) -> str:
        kinds = [k for k, w in self.mix.items() if w > 0]
        kind = self.random.choices(kinds, weights=[self.mix[k] for k in kinds])[0]
        if kind in ("cancel", "reschedule", "detail") and not who.holds:
            return "book"
        if kind == "book" and len(who.holds) == len(self.procedures):
            return "reschedule"
        return kind

    async def act(self, who: Applicant) -> None:
        if who.waiting is not None:
            await self.wait(who, who.waiting)
            return
        kind = self._choose(who)
        if kind == "availability":
            slug = self.random.choice(list(self.procedures))
            path = f"/api/v1/availability/?procedure={slug}"
            if self.random.random() < 0.5:
                path += f"&site={self.random.choice(self.sites)}"
            status, rows = await self.request(kind, "GET", path, who.auth)
            if status == 200 and isinstance(rows, list) and "site=" not in path:
                self.free[slug] = [row["slot"] for row in rows if row.get("remaining", 0) > 0]
        elif kind == "appointments":
            await self.request(kind, "GET", "/api/v1/appointments/", who.auth)
        elif kind == "detail":
            reference, _slot = self.random.choice(list(who.holds.values()))
            await self.request(kind, "GET", f"/api/v1/appointments/{reference}/", who.auth)
        elif kind == "home":
            await self.request(
                kind, "GET", "/", {"Accept-Language": self.random.choice(["fr", "en"])}
            )
        elif kind == "book":
            slug = self.random.choice([s for s in self.procedures if s not in who.holds])
            slot = self._pick(slug)
            asked = {"slot": slot}
            if who.applicant_id is not None:
                asked["applicant"] = who.applicant_id
            status, body = await self.request(
                kind, "POST", "/api/v1/appointments/", who.auth, asked
            )
            if status == 201:
                who.holds[slug] = (body["reference"], slot)
                self.events["booked"] += 1
                self.mediated += who.applicant_id is not None
        elif kind == "cancel":
            slug = self.random.choice(list(who.holds))
            reference, _slot = who.holds[slug]
            status, _body = await self.request(
                kind, "POST", f"/api/v1/appointments/{reference}/cancel/", who.auth
            )
            if status == 200:
                del who.holds[slug]
                self.events["cancelled"] += 1
        elif kind == "reschedule":
            slug = self.random.choice(list(who.holds))
            reference, current = who.holds[slug]
            slot = self._pick(slug, avoid=current)
            status, _body = await self.request(
                kind,
                "POST",
                f"/api/v1/appointments/{reference}/reschedule/",
                who.auth,
                {"slot": slot},
            )
            if status == 200:
                who.holds[slug] = (reference, slot)
                self.events["rescheduled"] += 1
        elif kind == "substitution":
            self.substitutions += 1
            body = {
                "surname": "Soak",
                "given_names": "Substitution",
                "birth_date": "1990-01-01",
                "nationality": "ML",
                "document_type": "agdref",
                "document_number": f"99{self.substitutions:08d}",
                "procedure": self.random.choice(list(self.procedures)),
                "reason": "nothing_free",
                "postal_address": "1 rue de la Soak, 93000 Bobigny",
            }
            await self.request(kind, "POST", "/api/v1/substitution-requests/", {}, body)

    # --- What a waitlister does -----------------------------------------------------------

    def _choose_waitlist(self, waiting: Waiting) -> str:
        if waiting.served is not None:
            return "queue_cancel" if self.random.random() < QUEUE_CANCEL_CHANCE else "offers"
        if waiting.entry is None:
            return "join"
        if waiting.offer is not None and waiting.answer in ("accept", "decline"):
            return waiting.answer
        if waiting.paused:
            return "resume"
        kinds = list(WAITLIST_MIX)
        return self.random.choices(kinds, weights=[WAITLIST_MIX[k] for k in kinds])[0]

    def _surprise(self, what: str) -> None:
        if len(self.surprises) < 50:
            self.surprises.append(what)

    def _offer_seen(self, waiting: Waiting, offer: dict) -> None:
        """A waitlister sees an open offer of theirs: they decide what to do with it."""
        if offer["id"] in waiting.ignored or offer["id"] == waiting.offer:
            return
        if waiting.offer is not None and waiting.answer != "ignore":
            self._surprise(f"offer {offer['id']} open while {waiting.offer} was")
        answers = list(ANSWERS)
        waiting.offer = offer["id"]
        waiting.answer = self.random.choices(answers, weights=[ANSWERS[a] for a in answers])[0]
        if waiting.answer == "ignore":
            waiting.ignored.add(offer["id"])

    async def _answer_seen(self, who: Applicant, waiting: Waiting) -> None:
        """Someone who sees an offer they want (or do not) answers it then and
        there, as one follows the link of the message: the same turn."""
        if waiting.offer is not None and waiting.answer in ("accept", "decline"):
            await self._answer(who, waiting, waiting.answer)

    async def _answer(self, who: Applicant, waiting: Waiting, kind: str) -> None:
        offer = waiting.offer
        status, body = await self.request(kind, "POST", f"/api/v1/offers/{offer}/{kind}/", who.auth)
        waiting.offer, waiting.answer = None, ""
        if status == 201 and kind == "accept":
            waiting.served = (body["reference"], body["slot"]["id"])
            waiting.entry = None
            self.accepted[offer] = body["reference"]
            self.events["accepted"] += 1
        elif status == 200 and kind == "decline":
            self.declined.append(offer)
            self.events["declined"] += 1

    def _choice(self) -> dict:
        """Sites and weekdays drawn at random: where and when a waitlister can come."""
        sites = self.random.sample(self.queue_sites, self.random.randint(1, len(self.queue_sites)))
        excluded = self.random.sample(range(1, 8), self.random.choice([0, 0, 1, 2]))
        return {"sites": sorted(sites), "weekdays_excluded": sorted(excluded)}

    async def wait(self, who: Applicant, waiting: Waiting) -> None:
        kind = self._choose_waitlist(waiting)
        if kind == "join":
            status, body = await self.request(
                kind,
                "POST",
                "/api/v1/waitlist/",
                who.auth,
                {"procedure": self.queue_procedure, **self._choice()},
            )
            if status == 201:
                waiting.entry, waiting.paused = body["id"], False
                waiting.offer, waiting.answer = None, ""
                self.events["joined"] += 1
        elif kind == "entries":
            status, body = await self.request(kind, "GET", "/api/v1/waitlist/", who.auth)
            if status == 200:
                rows = {row["id"]: row for row in body["results"]}
                mine = rows.get(waiting.entry)
                if mine is None or len(rows) != 1:
                    self._surprise(f"entry {waiting.entry} in force, the list says {sorted(rows)}")
                else:
                    waiting.paused = mine["status"] == "paused"
                    if mine["offer"] is not None:
                        self._offer_seen(waiting, mine["offer"])
                        await self._answer_seen(who, waiting)
        elif kind == "offers":
            status, body = await self.request(kind, "GET", "/api/v1/offers/?status=open", who.auth)
            if status == 200:
                rows = body["results"]
                if len(rows) > 1 or (rows and waiting.entry is None):
                    self._surprise(f"open offers {[r['id'] for r in rows]}, entry {waiting.entry}")
                if rows and waiting.entry is not None:
                    self._offer_seen(waiting, rows[0])
                    await self._answer_seen(who, waiting)
                elif not rows and waiting.offer is not None:
                    waiting.offer, waiting.answer = None, ""  # expired meanwhile
        elif kind in ("accept", "decline"):
            await self._answer(who, waiting, kind)
        elif kind == "change":
            status, body = await self.request(
                kind, "PATCH", f"/api/v1/waitlist/{waiting.entry}/", who.auth, self._choice()
            )
            if status == 200:
                self.events["changed"] += 1
                waiting.paused = body["status"] == "paused"
                if body["offer"] is None:
                    # The new choice no longer fits the offer: withdrawn, to the next person.
                    waiting.offer, waiting.answer = None, ""
                else:
                    self._offer_seen(waiting, body["offer"])
                    await self._answer_seen(who, waiting)
        elif kind == "leave":
            status, _body = await self.request(
                kind, "DELETE", f"/api/v1/waitlist/{waiting.entry}/", who.auth
            )
            if status == 200:
                waiting.entry, waiting.paused, waiting.offer, waiting.answer = None, False, None, ""
                self.events["left"] += 1
        elif kind == "resume":
            status, _body = await self.request(
                kind, "POST", f"/api/v1/waitlist/{waiting.entry}/resume/", who.auth
            )
            if status == 200:
                waiting.paused = False
                self.events["resumed"] += 1
        elif kind == "queue_cancel":
            reference, _slot = waiting.served
            status, _body = await self.request(
                kind, "POST", f"/api/v1/appointments/{reference}/cancel/", who.auth
            )
            if status == 200:
                waiting.served = None
                self.events["queue_cancelled"] += 1

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
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    traffic = Traffic(json.loads(args.spec.read_text()))
    result = asyncio.run(traffic.run(args.timeout))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
