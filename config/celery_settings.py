"""Celery's settings that read nothing else: serialisation, acknowledgement,
time limits, the broker's timeouts and retries, and the beat's schedule.
Loaded by ``config.settings`` (``from config.celery_settings import *``),
which sets the broker, eager mode and time zone from the environment.
"""

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
# A broker that is down must not hang the request that just committed a booking:
# fail fast, leave the outbox row pending, and let the sweep publish it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    # A Redis that accepts connections but does not answer costs a request this long.
    "socket_timeout": 2,
    # Longer than any ETA (a retry waits at most NOTIFICATIONS_RETRY_MAX_SECONDS),
    # so Redis does not hand an unacknowledged retry to a second worker early.
    "visibility_timeout": 2 * 3600,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.messages_sweep",
        "schedule": 60.0,
    },
    "notifications-publications": {
        "task": "notifications.publications_announce",
        "schedule": 60.0,
    },
    "notifications-reminders": {
        "task": "notifications.reminders_create",
        "schedule": 3600.0,
    },
    "accounts-purge-personal-data": {
        "task": "accounts.purge_personal_data",
        "schedule": 24 * 3600.0,
    },
    # Searches that found nothing and records of attempts past the retention period.
    "attempts-purge": {
        "task": "attempts.purge",
        "schedule": 24 * 3600.0,
    },
    "substitution-purge-requests": {
        "task": "substitution.requests_purge",
        "schedule": 24 * 3600.0,
    },
    "booking-close-past-appointments": {
        "task": "booking.close_past_appointments",
        "schedule": 3600.0,
    },
    # The dashboard's past weeks kept (backoffice.dashboard.store): the last weeks
    # over recomputed, the missing ones filled.
    "backoffice-dashboard-refresh": {
        "task": "backoffice.dashboard_refresh",
        "schedule": 3600.0,
    },
    # Each procedure's horizon advances by a day at a moment drawn at random
    # (booking.horizon); readers honour the moment anyway, this writes it down.
    "booking-horizons-advance": {
        "task": "booking.horizons_advance",
        "schedule": 60.0,
    },
    # Freed seats held back for a random delay (booking.services.seats) shown again.
    "booking-seats-release": {
        "task": "booking.seats_release_due",
        "schedule": 60.0,
    },
    # The waiting list: offers past their moment end, and seats of the lists
    # that became free or visible are offered (allocation.services).
    "allocation-offers-expire": {
        "task": "allocation.offers_expire",
        "schedule": 60.0,
    },
    "allocation-allocate-due": {
        "task": "allocation.allocate_due",
        "schedule": 60.0,
    },
}
