"""Guichet's own rules, each read from the environment (config/env.py): how
long things last, the caps and the thresholds of booking, accounts, the
notifications, mediation and the back office. Loaded by ``config.settings``
(``from config.rules import *``); docs/configuration.md lists the variables.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

# --- Accounts -----------------------------------------------------------------
# How many accounts one mobile number may confirm (brokers farm accounts on few SIMs).
ACCOUNTS_PER_PHONE = env_int("ACCOUNTS_PER_PHONE", 2, minimum=1)
# Personal data is kept this many months after the appointment, then erased
# (purge_personal_data, daily); accounts never confirmed go after a few days.
RETENTION_MONTHS = env_int("RETENTION_MONTHS", 6, minimum=1)
# The audit trail is kept longer (a log of who did what, for investigations),
# then deleted by the same purge; the database refuses deleting a row younger
# than 6 months (audit migration 0005), whatever this says.
AUDIT_RETENTION_MONTHS = env_int("AUDIT_RETENTION_MONTHS", 12, minimum=6)
# The substitution route: how many days the prefecture gives itself to answer a
# request (its deadline, shown in the agents' queue).
SUBSTITUTION_DEADLINE_DAYS = env_int("SUBSTITUTION_DEADLINE_DAYS", 15, minimum=1)
ACCOUNTS_UNCONFIRMED_DAYS = env_int("ACCOUNTS_UNCONFIRMED_DAYS", 7, minimum=1)
ACCOUNTS_EMAIL_LINK_DAYS = 3
ACCOUNTS_PHONE_CODE_MINUTES = 10
ACCOUNTS_PHONE_CODE_ATTEMPTS = 5
ACCOUNTS_PHONE_CODE_RESEND_SECONDS = 60

# --- Booking ------------------------------------------------------------------
# The local hours within which a procedure's booking horizon advances each day,
# at a moment drawn at random per procedure and day: [start, end).
GUICHET_HORIZON_RELEASE_HOURS = (
    env_int("HORIZON_RELEASE_START_HOUR", 8, minimum=0),
    env_int("HORIZON_RELEASE_END_HOUR", 18, minimum=1),
)
if not GUICHET_HORIZON_RELEASE_HOURS[0] < GUICHET_HORIZON_RELEASE_HOURS[1] <= 24:
    raise ImproperlyConfigured(
        "HORIZON_RELEASE_START_HOUR must come before HORIZON_RELEASE_END_HOUR, which is at most 24."
    )

# --- Notifications outbox ----------------------------------------------------------
# A message is tried at most this many times; between tries the wait doubles
# from NOTIFICATIONS_RETRY_BASE_SECONDS up to NOTIFICATIONS_RETRY_MAX_SECONDS.
NOTIFICATIONS_MAX_ATTEMPTS = 8
NOTIFICATIONS_RETRY_BASE_SECONDS = 30
NOTIFICATIONS_RETRY_MAX_SECONDS = 3600
# The sweep re-queues a due pending message after this many seconds (its task was
# lost) and a message in "sending" after NOTIFICATIONS_SENDING_TIMEOUT (a worker died;
# longer than CELERY_TASK_TIME_LIMIT, so a live send is never taken for a dead one).
NOTIFICATIONS_PENDING_GRACE = 120
# A fan-out or a sweep hands ids to the workers in tasks of this many messages.
NOTIFICATIONS_TASK_BATCH = 50
# How long a web process's publisher waits for more committed message ids before
# publishing them as one task (0: publish in the request). notifications/outbox/publisher.py
NOTIFICATIONS_PUBLISH_LINGER_MS = env_int("NOTIFICATIONS_PUBLISH_LINGER_MS", 50, minimum=0)
NOTIFICATIONS_SENDING_TIMEOUT = 300
NOTIFICATIONS_REMINDER_DAYS = env_int("NOTIFICATIONS_REMINDER_DAYS", 2, minimum=1)
# No alert SMS from 21:00 to 08:00, Paris time: they wait for the morning.
NOTIFICATIONS_QUIET_HOURS = (21, 8)
# Seats freed by cancellations are announced at most once per place and window.
NOTIFICATIONS_FREED_SEAT_WINDOW_MINUTES = 30
# At most this many SMS a day (Paris time), confirmation codes aside: past it,
# appointment SMS wait in the outbox for the next day, alerts are dropped, and an
# error is logged once (docs/notifications.md).
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 20_000, minimum=1)
# At most this many segments per SMS (153 GSM-7 characters each, 67 in UCS-2:
# Arabic): a longer text has its names and address cut, never more segments
# (notifications/rendering.py, docs/notifications.md).
SMS_MAX_SEGMENTS = env_int("SMS_MAX_SEGMENTS", 3, minimum=1)
# The regions (phonenumbers' ISO codes) whose mobile numbers staff may type for a
# walk-in: metropolitan France and the overseas departments and territories.
CONTACT_PHONE_REGIONS = env_list(
    "CONTACT_PHONE_REGIONS",
    ["FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"],
)

# --- Guichet ------------------------------------------------------------------
GUICHET_DEPARTEMENT = env_str("GUICHET_DEPARTEMENT", "Seine-Saint-Denis (93)")
# Where people report an accessibility problem (the statement, /accessibilite/);
# empty: the statement gives the postal address and the prefecture's website only.
ACCESSIBILITY_CONTACT_EMAIL = env_str("ACCESSIBILITY_CONTACT_EMAIL", "")
# How long an availability answer is kept while no capacity changes (seconds;
# with a shared cache, REDIS_URL, only): booking/availability_cache.py.
GUICHET_AVAILABILITY_CACHE_LONG_SECONDS = env_int("AVAILABILITY_CACHE_LONG_SECONDS", 30, minimum=0)

# --- Mediation ------------------------------------------------------------------
# Bookings a mediator, and all the mediators of an access point together, may
# make in a day (local); a supervisor raises them for one day (CapRaise, audited).
MEDIATION_DAILY_CAP_PER_MEDIATOR = env_int("MEDIATION_DAILY_CAP_PER_MEDIATOR", 30, minimum=0)
MEDIATION_DAILY_CAP_PER_POINT = env_int("MEDIATION_DAILY_CAP_PER_POINT", 80, minimum=0)
# How long a consent given at an access point may last at most (days).
MEDIATION_CONSENT_MAX_DAYS = env_int("MEDIATION_CONSENT_MAX_DAYS", 365, minimum=1)
# The most a supervisor may add to a cap at once.
MEDIATION_CAP_RAISE_MAX = env_int("MEDIATION_CAP_RAISE_MAX", 200, minimum=1)
# The record of attempts: a repeat of the same search that found nothing within
# this many seconds is the same attempt (not counted, not written again).
ATTEMPTS_SEARCH_GAP_SECONDS = env_int("ATTEMPTS_SEARCH_GAP_SECONDS", 60, minimum=0)

# --- Back office: counter ---------------------------------------------------------
# The no-show consequence (booking/rules.py): after NO_SHOW_LIMIT no-shows within
# NO_SHOW_WINDOW_MONTHS months for a procedure, the person may not book it again
# until NO_SHOW_COOLING_DAYS days after the last one.
NO_SHOW_LIMIT = env_int("NO_SHOW_LIMIT", 2, minimum=1)
NO_SHOW_WINDOW_MONTHS = env_int("NO_SHOW_WINDOW_MONTHS", 6, minimum=1)
NO_SHOW_COOLING_DAYS = env_int("NO_SHOW_COOLING_DAYS", 30, minimum=0)

# --- Back office: closures ---
# How long the priority right a closure gives a person lasts (days): they may
# book the procedure's priority pool themselves, once (booking/rules.py).
PRIORITY_RIGHT_DAYS = env_int("PRIORITY_RIGHT_DAYS", 60, minimum=1)

# --- Back office: court ---
# A court-ordered convocation not served yet is "at risk" when its deadline is
# this many days away or fewer (booking.injunctions).
INJUNCTION_AT_RISK_DAYS = env_int("INJUNCTION_AT_RISK_DAYS", 7, minimum=0)

# --- Fair allocation: the waiting list and its offers (allocation/rules.py) ------
# How long an offer holds its seat for the person (hours), at most: never past
# the moment the slot closes to online booking, and an offer is made only while
# at least OFFER_MIN_HOLD_MINUTES remain to answer it.
OFFER_HOLD_HOURS = env_int("OFFER_HOLD_HOURS", 24, minimum=1)
OFFER_MIN_HOLD_MINUTES = env_int("OFFER_MIN_HOLD_MINUTES", 120, minimum=5)
# After this many offers left to expire, the entry is paused until the person
# confirms they still need an appointment.
WAITLIST_PAUSE_AFTER_EXPIRIES = env_int("WAITLIST_PAUSE_AFTER_EXPIRIES", 2, minimum=1)
# A renewal whose permit expires within this many days comes first in the list.
WAITLIST_PERMIT_EXPIRING_DAYS = env_int("WAITLIST_PERMIT_EXPIRING_DAYS", 60, minimum=1)
# The honest estimate of the wait reads the seats given out over these weeks.
WAITLIST_ESTIMATE_WEEKS = env_int("WAITLIST_ESTIMATE_WEEKS", 4, minimum=1)
# In an "open" procedure: a seat someone lets go is shown again after a random
# delay of up to this many minutes (0: at once), and the identity that cancelled
# may not book the procedure again for CANCEL_COOLING_HOURS (0: no wait).
FREED_SEAT_DELAY_MAX_MINUTES = env_int("FREED_SEAT_DELAY_MAX_MINUTES", 30, minimum=0)
CANCEL_COOLING_HOURS = env_int("CANCEL_COOLING_HOURS", 24, minimum=0)

# --- Fair allocation: transparency (allocation/transparency/) ---
# The public page and its API show the seats given out over these complete weeks,
# and keep their figures this many seconds in the cache (0: computed each time).
TRANSPARENCY_WEEKS = env_int("TRANSPARENCY_WEEKS", 8, minimum=1)
TRANSPARENCY_CACHE_SECONDS = env_int("TRANSPARENCY_CACHE_SECONDS", 60, minimum=0)
# --- Fair allocation: the proof-of-work against bots (core/antibot) ---------------
# Registering, the substitution form, an applicant's own booking and an
# applicant's own join of a waiting list ask for a solved ALTCHA challenge (or,
# without JavaScript, a short wait). The cost is the
# challenge's largest number: a client hashes half of it on average
# (docs/benchmarks/2026-12-04-proof-of-work.md). A challenge and a no-script wait
# token are good for ANTIBOT_EXPIRY_SECONDS, once.
ANTIBOT_ENABLED = env_bool("ANTIBOT_ENABLED", True)
ANTIBOT_MAX_NUMBER = env_int("ANTIBOT_MAX_NUMBER", 50_000, minimum=100)
ANTIBOT_EXPIRY_SECONDS = env_int("ANTIBOT_EXPIRY_SECONDS", 3600, minimum=60)
ANTIBOT_NOSCRIPT_WAIT_SECONDS = env_int("ANTIBOT_NOSCRIPT_WAIT_SECONDS", 10, minimum=0)
# --- Fair allocation: the abuse report and suspensions (backoffice/abuse) --------
# The report reads this many days back by default (a supervisor may pick
# another period on the page, up to ABUSE_PERIOD_MAX_DAYS), and shows at most
# ABUSE_ROWS rows per section (the strongest first).
ABUSE_PERIOD_DAYS = env_int("ABUSE_PERIOD_DAYS", 30, minimum=1)
ABUSE_PERIOD_MAX_DAYS = env_int("ABUSE_PERIOD_MAX_DAYS", 366, minimum=1)
ABUSE_ROWS = env_int("ABUSE_ROWS", 100, minimum=1)
# An identity booked from more than this many accounts.
ABUSE_ACCOUNTS_PER_IDENTITY = env_int("ABUSE_ACCOUNTS_PER_IDENTITY", 2, minimum=1)
# An applicant's account that booked for more than this many identities.
ABUSE_IDENTITIES_PER_ACCOUNT = env_int("ABUSE_IDENTITIES_PER_ACCOUNT", 1, minimum=1)
# A phone number or e-mail address given for more than this many identities.
ABUSE_IDENTITIES_PER_CONTACT = env_int("ABUSE_IDENTITIES_PER_CONTACT", 2, minimum=1)
# Cancel and rebook: a new booking of the same procedure by the same identity or
# account within ABUSE_REBOOK_MINUTES of a cancellation is a rebooking; shown
# from ABUSE_REBOOK_MIN rebookings when they are at least ABUSE_REBOOK_PERCENT of
# the cancellations.
ABUSE_REBOOK_MINUTES = env_int("ABUSE_REBOOK_MINUTES", 60, minimum=1)
ABUSE_REBOOK_MIN = env_int("ABUSE_REBOOK_MIN", 2, minimum=1)
ABUSE_REBOOK_PERCENT = env_int("ABUSE_REBOOK_PERCENT", 50, minimum=1)
# A mediator whose bookings are more than ABUSE_MEDIATOR_VOLUME_FACTOR times the
# median of the mediators (and at least ABUSE_MEDIATOR_VOLUME_MIN), or with at
# least ABUSE_MEDIATOR_OUTSIDE_HOURS_MIN bookings outside their point's hours.
ABUSE_MEDIATOR_VOLUME_FACTOR = env_int("ABUSE_MEDIATOR_VOLUME_FACTOR", 3, minimum=1)
ABUSE_MEDIATOR_VOLUME_MIN = env_int("ABUSE_MEDIATOR_VOLUME_MIN", 10, minimum=1)
ABUSE_MEDIATOR_OUTSIDE_HOURS_MIN = env_int("ABUSE_MEDIATOR_OUTSIDE_HOURS_MIN", 1, minimum=1)
# An account with at least this many refused identity claims.
ABUSE_REFUSED_CLAIMS_MIN = env_int("ABUSE_REFUSED_CLAIMS_MIN", 1, minimum=1)
