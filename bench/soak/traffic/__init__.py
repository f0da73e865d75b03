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

from bench.soak.traffic.core import EXPECTED, EXPECTED_CODES, Traffic

__all__ = ["EXPECTED", "EXPECTED_CODES", "Traffic"]
