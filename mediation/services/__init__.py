"""Every write of mediation goes through these functions, one module per part:
access points (``access_points``) and their opening periods (``hours``),
walk-ins and consents (``people``), the daily caps (``caps``). Each is one
transaction with its audit row, which names the access point.
The public names are re-exported here."""

from mediation.services.access_points import (
    ACCESS_POINT_FIELDS,
    SUPERVISOR_FIELDS,
    access_point_create,
    access_point_update,
    supervises,
)
from mediation.services.caps import cap_raise, daily_caps_claim
from mediation.services.hours import PERIODS_PER_DAY_AT_MOST, opening_periods_set
from mediation.services.people import consent_give, consent_withdraw, walk_in_register

__all__ = [
    "ACCESS_POINT_FIELDS",
    "PERIODS_PER_DAY_AT_MOST",
    "SUPERVISOR_FIELDS",
    "access_point_create",
    "access_point_update",
    "cap_raise",
    "consent_give",
    "consent_withdraw",
    "daily_caps_claim",
    "opening_periods_set",
    "supervises",
    "walk_in_register",
]
