"""What a waitlister does on their turn: join the list of the procedure given
out by its list, read their entries and open offers, answer an offer (accept,
decline, or let it expire), change their sites and weekdays, leave, resume a
paused entry, cancel the appointment an accepted offer gave them. What the API
answers that contradicts what they know is a ``surprise``.

A walk-in on the list does the same through the access point's mediator (their
consent covers the list): the mediator names the person when joining (with the
permit's expiry, when they saw one) and when reading their entries and offers,
and answers offers, changes, leaves and resumes for them on the same routes.
Their requests are counted as their own kinds (``walkin_join``...)."""

from __future__ import annotations

from bench.soak.traffic.people import Applicant, Waiting

# A waitlister's turn (``Waitlisting._choose_waitlist``): the state decides first (no
# entry: join; an offer they mean to answer: the answer; paused: resume; an
# appointment from the list: cancel it or read their offers), then these weights.
WAITLIST_MIX = {"offers": 70, "entries": 22, "change": 4, "leave": 4}
# What a waitlister does with an offer they see: accept, decline, or let it expire.
ANSWERS = {"accept": 60, "decline": 25, "ignore": 15}
# A waitlister holding an appointment from the list cancels it on a turn with this chance.
QUEUE_CANCEL_CHANCE = 0.25
# The prefix of the kinds of the requests a mediator makes for a walk-in on the list.
WALK_IN = "walkin_"


class Waitlisting:
    """``Traffic``'s waitlisters' turns (its state: ``queue_procedure``,
    ``queue_sites``, ``accepted``, ``declined``, ``surprises``...; its ``request``)."""

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

    @staticmethod
    def _kind(who: Applicant, kind: str) -> str:
        """The kind of a request: a mediator's for a walk-in is counted apart."""
        return f"{WALK_IN}{kind}" if who.applicant_id is not None else kind

    @staticmethod
    def _naming(who: Applicant, path: str) -> str:
        """A list of entries or offers: staff name the person."""
        if who.applicant_id is None:
            return path
        return f"{path}{'&' if '?' in path else '?'}applicant={who.applicant_id}"

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
        status, body = await self.request(
            self._kind(who, kind), "POST", f"/api/v1/offers/{offer}/{kind}/", who.auth
        )
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
            asked = {"procedure": self.queue_procedure, **self._choice()}
            if who.applicant_id is not None:
                asked["applicant"] = who.applicant_id
                if waiting.permit:
                    asked["permit_expires_on"] = waiting.permit
            status, body = await self.request(
                self._kind(who, kind), "POST", "/api/v1/waitlist/", who.auth, asked
            )
            if status == 201:
                waiting.entry, waiting.paused = body["id"], False
                waiting.offer, waiting.answer = None, ""
                self.events["joined"] += 1
        elif kind == "entries":
            status, body = await self.request(
                self._kind(who, kind), "GET", self._naming(who, "/api/v1/waitlist/"), who.auth
            )
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
            status, body = await self.request(
                self._kind(who, kind),
                "GET",
                self._naming(who, "/api/v1/offers/?status=open"),
                who.auth,
            )
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
                self._kind(who, kind),
                "PATCH",
                f"/api/v1/waitlist/{waiting.entry}/",
                who.auth,
                self._choice(),
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
                self._kind(who, kind), "DELETE", f"/api/v1/waitlist/{waiting.entry}/", who.auth
            )
            if status == 200:
                waiting.entry, waiting.paused, waiting.offer, waiting.answer = None, False, None, ""
                self.events["left"] += 1
        elif kind == "resume":
            status, _body = await self.request(
                self._kind(who, kind), "POST", f"/api/v1/waitlist/{waiting.entry}/resume/", who.auth
            )
            if status == 200:
                waiting.paused = False
                self.events["resumed"] += 1
        elif kind == "queue_cancel":
            reference, _slot = waiting.served
            status, _body = await self.request(
                self._kind(who, kind), "POST", f"/api/v1/appointments/{reference}/cancel/", who.auth
            )
            if status == 200:
                waiting.served = None
                self.events["queue_cancelled"] += 1
