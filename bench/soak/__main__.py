"""The soak: ``python -m bench.soak`` (``bench/soak/run.sh``, ``make bench``).

Guichet as in production, for a long while, under mixed traffic: gunicorn
(4 sync workers, persistent connections, DEBUG off) on a fresh PostgreSQL
database (``--database``, ``guichet_soak_<pid>``, dropped afterwards), a real
Celery worker (``celery -A config worker``, as many prefork processes as cores,
as in production) on its own Redis database (``--redis-url``, flushed before
and after; also the shared cache), SMS through the twilio SDK to the
tests' fake Twilio and e-mail over SMTP to an aiosmtpd server, both in this
process. A separate process (``bench.soak.traffic``) plays N applicants with
API tokens: availability, their appointments, booking, cancelling,
rescheduling (and the home page), paced at ``--rate`` requests/s for
``--seconds`` (10 minutes by default). A few applicants subscribe to new-slot
alerts, so that cancellations also fan out alerts through the worker.

``--waitlisters`` more applicants play the waiting list of a third procedure,
given out by its list (mode ``queue``, its scarce seats in the pool
``queue``): they join, read their entries and offers, accept, decline or
ignore an offer, leave, resume a paused entry and cancel what the list gave
them. The worker makes the offers (the allocation after each commit that may
free a seat); the soak's beat (``bench/soak/beat.py``) sends the beat's tasks
every ``--beat-every`` seconds and ends, as if their hours had passed, the
holds of the offers left unanswered for ``--offer-hold`` seconds, so that
offers expire and entries pause during the run. The mediator plays walk-ins on
the list (joining and answering for them), and two agent desks record court
orders for people on it, close a slot an appointment from the list holds and
lift the closure (``traffic/staff.py``). The worker is started through
``worker.py``, which judges the order rule on every allocation run it makes.

Then it checks, and exits non-zero if any check fails:

- HTTP: no 5xx, no connection error or timeout, and nothing but the expected
  statuses (a 429 means the run was rate-limited: see ``GENEROUS_LIMITS``);
- capacity, on every slot of the database: 0 <= booked <= capacity and
  booked == its active appointments; what the applicants were told they hold
  (appointments booked, and those given by an accepted offer) is what the
  database holds;
- the waiting list (``tests/helpers/waitlist_invariants.py``, as the state
  machine's; also every few seconds during the traffic, each time on one
  consistent snapshot): on every slot held + booked <= capacity and held == its open
  offers + its freed seats not shown yet; one open offer per entry, only for a
  waiting entry; no identity with two of (open offer, active appointment) for
  a procedure; one entry in force per identity and procedure; the entries in
  force, the offers accepted (with their appointments) and declined are those
  the waitlisters were told; none of their answers contradicted what they
  knew; offers were made and accepted. Then, traffic and worker stopped, one
  more round: the open offers are withdrawn (as a closure does), the
  allocation runs once more in this process on the whole list, and its offers
  must keep the order rule (no earlier entry that fits the seat, did not pass
  on it and could take an offer was left without one) and leave no free seat
  a waiting entry fits; the order rule on every run of the worker during the
  traffic (``checks/order.py``), and that every offer came from a judged run;
  the agents' court orders, closures and entries put back against the
  database, and every entry's class against the facts (``checks/staff.py``);
- messages: once the worker has drained the queue (bounded wait), every owed
  message (each booking, accepted offer, cancellation and reschedule owes an
  SMS and an e-mail, and so does each offer made; every alert and pause due)
  was sent, and exactly once (an offer's message is rightly not sent once the
  offer was answered, expired or withdrawn): each SMS row's provider
  id is one request the fake Twilio received, each e-mail row's Message-ID one
  message the SMTP server received, and nothing else arrived;
- memory: the resident memory (RSS, ``/proc``) of every gunicorn and Celery
  process, sampled every few seconds, does not grow after the warm-up by more
  than ``GROWTH_MAX_RATIO`` of its warmed-up size nor by more than
  ``GROWTH_MAX_MB`` (median of the first samples after the warm-up against
  the median of the last ones); no process is replaced during the run.

It also prints the outbox's backlog during the traffic (whether the worker
keeps up) and each process's RSS at every quarter of the run (the trend).

Two soaks at once on one machine stay apart (``isolation.py``): each makes its
own PostgreSQL database, named after its process id unless ``--database``
names one, and claims a Redis database of its own (the first free of
``isolation.REDIS_DATABASES``, or ``--redis-url``'s, refused while another
live soak holds it) before flushing it. Their ports and files are picked
free or made temporary.

The rooms: ``options`` (the command line), ``isolation``, ``world`` (what is
set up before the traffic), ``processes`` (the servers' environment, the
traffic's process, their logs), ``traffic/`` (the load generator: applicants
in ``booking``, waitlisters in ``waitlist``), ``beat``, ``delivery``,
``memory``, ``checks/`` (one module for each thing checked) and ``report``.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time

from bench import common
from bench.soak import isolation, memory, options, processes, report, world
from bench.soak.beat import Beat
from bench.soak.checks import (
    Backlog,
    Snapshots,
    check_capacity,
    check_http,
    check_memory,
    check_messages,
    check_order_final,
    check_order_runs,
    check_staff,
    check_waitlist,
    drain,
)
from bench.soak.delivery import FakeTwilio, SmtpInbox


def main(argv: list[str] | None = None) -> int:
    args, warm_up, span = options.parse(argv)
    # One key for every process (the servers, the worker, this one).
    os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_urlsafe(64))
    common.header(
        f"soak: {args.seconds:.0f} s of mixed traffic at {args.rate:.0f} req/s "
        f"(concurrency {args.concurrency}), {args.applicants} applicants, gunicorn "
        f"{common.WORKERS} sync workers, a Celery worker of {args.worker_processes} processes"
    )
    problems: list[str] = []
    began = time.monotonic()
    # The soak's own Redis database for the broker, the cache and the purge.
    args.redis_url = isolation.redis_claim(args.redis_url)
    for name in isolation.orphans_drop():
        print(f"   dropped {name}: a soak killed before it could drop it")
    os.environ["BENCH_BROKER_URL"] = args.redis_url
    twilio, smtp = FakeTwilio().start(), SmtpInbox().start()
    static = tempfile.TemporaryDirectory(prefix="guichet-soak-static-")
    try:
        with common.bench_database(args.database, keep=args.keep_db) as url:
            from tests.helpers.celery_worker import Worker

            processes.collectstatic(url, static.name)
            common.django_setup(url)
            common.demo_seed(applicants=args.applicants + args.waitlisters)
            setup = world.setup(args.applicants, args.subscribers, args.waitlisters)
            from django.db import connection
            from django.db.models import Max

            from notifications.models import Message

            first_id = Message.objects.aggregate(last=Max("pk"))["last"] or 0
            connection.close()
            extra = {
                **processes.delivery_env(twilio, smtp, args.redis_url),
                "STATIC_ROOT": static.name,
            }
            server = common.Server("guichet", "config.wsgi:application", "config.settings")
            server.extra_env = extra
            worker = Worker(
                env={
                    **os.environ,
                    **common.app_env(url),
                    "DJANGO_SETTINGS_MODULE": "config.settings",
                    **extra,
                },
                concurrency=args.worker_processes,
                # The order rule judged on every allocation run (bench/soak/worker.py).
                program=[sys.executable, "-m", "bench.soak.worker"],
            )
            with common.servers(url, server):
                worker.start()
                try:
                    print(
                        f"   setup: {time.monotonic() - began:.1f} s (database, {args.applicants} "
                        "applicants, static files, servers, worker)"
                    )
                    roots = {"gunicorn": server.process.pid, "celery": worker.process.pid}
                    sampler = memory.Sampler(roots, interval=args.sample_every).start()
                    backlog = Backlog(first_id).start()
                    beat = Beat(hold=args.offer_hold, interval=args.beat_every).start()
                    snapshots = Snapshots(interval=min(10.0, args.seconds / 6)).start()
                    try:
                        traffic = processes.traffic_run(server.base, setup, args)
                    finally:
                        sampler.stop()
                        backlog.stop()
                        beat.stop()
                        snapshots.stop()
                    beat.settle()
                    print(f"   outbox: {backlog.report(sampler.ended)}")
                    print(
                        f"   beat: {beat.ticks} ticks every {args.beat_every:.0f} s, "
                        f"{beat.lapsed} offers unanswered after {args.offer_hold:.0f} s ended"
                    )
                    problems += [f"the beat could not publish: {e}" for e in beat.errors[:3]]
                    drained = drain(first_id, twilio, smtp, args.drain_timeout)
                    print(f"   the worker drained the outbox {drained:.1f} s after the traffic")
                    report.report_traffic(traffic)
                    problems += check_http(traffic)
                    problems += check_capacity(traffic)
                    problems += snapshots.report()
                    problems += check_waitlist(traffic, waitlisters=args.waitlisters)
                    if args.waitlisters:
                        problems += check_staff(traffic)
                    problems += check_messages(first_id, traffic, twilio, smtp)
                    problems += check_memory(sampler, warm_up=warm_up, end=sampler.ended, span=span)
                finally:
                    worker_log = worker.output()
                    worker.stop()
            problems += processes.logged_problems(worker_log, server)
            if args.waitlisters:
                problems += check_order_runs(args.redis_url)
            # Traffic, beat and worker stopped: nothing else moves the list now.
            if args.waitlisters:
                problems += check_order_final()
            connection.close()
    finally:
        twilio.stop()
        smtp.stop()
        static.cleanup()
        isolation.redis_release(args.redis_url)
    return report.verdict(problems, began)


if __name__ == "__main__":
    sys.exit(main())
