"""What the soak checks once its traffic has run, one module for each thing
checked: the answers (``http``), the capacity invariant (``capacity``), each
owed message sent exactly once and the outbox's backlog (``messages``), the
waiting list's invariants, during the traffic and on a last round
(``waitlist``), what the staff did to the list (``staff``), the order rule on
every allocation run of the worker (``order``), and the memory of the
processes (``growth``)."""

from bench.soak.checks.capacity import check_capacity
from bench.soak.checks.growth import check_memory
from bench.soak.checks.http import check_http
from bench.soak.checks.messages import Backlog, check_messages, drain
from bench.soak.checks.order import check_order_runs
from bench.soak.checks.staff import check_staff
from bench.soak.checks.waitlist import Snapshots, check_order_final, check_waitlist

__all__ = [
    "Backlog",
    "Snapshots",
    "check_capacity",
    "check_http",
    "check_memory",
    "check_messages",
    "check_order_final",
    "check_order_runs",
    "check_staff",
    "check_waitlist",
    "drain",
]
