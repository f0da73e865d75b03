"""What an applicant does on their turn: availability, their appointments,
booking a seat they saw free, cancelling, rescheduling, the home page; a
walk-in the same through the access point's mediator; and substitution
requests by the public route."""

from __future__ import annotations

from bench.soak.traffic.people import Applicant

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


class Bookings:
    """``Traffic``'s applicants' turns (its state: ``procedures``, ``free``,
    ``mix``, ``events``...; its ``request``)."""

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

    async def turn(self, who: Applicant) -> None:
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
