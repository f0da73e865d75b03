"""Mediation's pages: the public ones about getting help (``public``), and the
mediators' console under ``/mediation/`` (``console``: the point, finding and
registering people, their page and consents; ``appointments``: booking,
cancelling, moving for them; ``caps``: the supervisors' raise of a daily cap; ``hours``: the point's
opening hours; ``waitlist``: the person's waiting-list entries).
Re-exported here for ``mediation.urls``."""

from mediation.views.appointments import (
    appointment_cancel,
    appointment_reschedule,
    appointment_reschedule_confirm,
    book_confirm,
    book_days,
    book_procedures,
    book_sites,
)
from mediation.views.caps import cap_raise
from mediation.views.console import (
    consent_give,
    consent_withdraw,
    find,
    home,
    person,
    register,
)
from mediation.views.hours import hours
from mediation.views.public import points, substitution
from mediation.views.waitlist import (
    waitlist_change,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_accept,
    waitlist_offer_decline,
    waitlist_resume,
)

__all__ = [
    "appointment_cancel",
    "appointment_reschedule",
    "appointment_reschedule_confirm",
    "book_confirm",
    "book_days",
    "book_procedures",
    "book_sites",
    "cap_raise",
    "consent_give",
    "consent_withdraw",
    "find",
    "home",
    "hours",
    "person",
    "points",
    "register",
    "substitution",
    "waitlist_change",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer_accept",
    "waitlist_offer_decline",
    "waitlist_resume",
]
