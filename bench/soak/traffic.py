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

``SPEC`` is JSON::

    {"base": "http://127.0.0.1:PORT", "seconds": 600, "rate": 40, "concurrency": 16,
     "seed": 1, "mix": {"availability": 40, ...},
     "procedures": {"slug": [slot ids]}, "sites": ["slug", ...],
     "applicants": ["token", ...], "walk_ins": [["mediator token", applicant id], ...]}

Starts are paced at ``rate`` requests/s. ``OUT`` gets the samples
``[kind, status, latency, start, code]`` (``code``: the ``code`` of a JSON
error, status 0: connection error or timeout), a few bodies of unexpected
answers, what each applicant holds at the end, and the successful events
(bookings, cancellations, reschedules) that owe messages.
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
    "waitlist": set(),
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
    # Fair allocation (the waiting list) is not built yet: nothing to send.
    # When it lands, give it a weight and fill in ``Applicant.waitlist`` below.
    "waitlist": 0,
}


@dataclass
class Applicant:
    token: str
    # A walk-in: the access point's mediator acts for them with ``token`` (theirs),
    # naming the person in each booking.
    applicant_id: int | None = None
    # procedure slug -> (reference, slot id) of the active appointment
    holds: dict[str, tuple[str, int]] = field(default_factory=dict)

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
        self.applicants = list(self.idle._queue)  # type: ignore[attr-defined]
        # What availability last said was free, per procedure (bots and the
        # unlucky also try full slots: see ``_pick``).
        self.free: dict[str, list[int]] = {slug: list(ids) for slug, ids in self.procedures.items()}
        self.samples: list[list] = []
        self.unexpected: list[dict] = []
        self.events = {"booked": 0, "cancelled": 0, "rescheduled": 0}
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
        if status not in EXPECTED[kind] and len(self.unexpected) < 50:
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
        elif kind == "waitlist":  # pragma: no cover - not built yet
            raise NotImplementedError("the waiting list does not exist yet")

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
            "holds": [ref for a in self.applicants for ref, _slot in a.holds.values()],
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
