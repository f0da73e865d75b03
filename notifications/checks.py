"""System checks of the notifications settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def publish_linger_within_sweep_grace(app_configs=None, **kwargs) -> list[Error]:
    """The sweep republishes a pending row once it has been due for
    ``NOTIFICATIONS_PENDING_GRACE``: a publisher that lingered that long would
    have every message published twice (sent once, but twice the work)."""
    linger = settings.NOTIFICATIONS_PUBLISH_LINGER_MS / 1000
    if linger * 10 > settings.NOTIFICATIONS_PENDING_GRACE:
        return [
            Error(
                f"NOTIFICATIONS_PUBLISH_LINGER_MS={settings.NOTIFICATIONS_PUBLISH_LINGER_MS} "
                "is too long: keep it under a tenth of NOTIFICATIONS_PENDING_GRACE "
                f"({settings.NOTIFICATIONS_PENDING_GRACE} s), after which the sweep "
                "publishes a pending message again.",
                id="notifications.E001",
            )
        ]
    return []


# E-mail backends that deliver nothing: they print, keep or drop the message.
# With DEBUG off a confirmation or reset link would end in a log or nowhere.
UNDELIVERING_EMAIL_BACKENDS = frozenset(
    f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "locmem", "dummy", "filebased")
)


def delivery_problems(*, debug: bool, email_backend: str, sms_backend: str) -> list[str]:
    """Why messages would not be delivered in production (empty with DEBUG on).
    Also read by config/settings.py, which refuses to start on any of them."""
    if debug:
        return []
    problems = []
    if email_backend in UNDELIVERING_EMAIL_BACKENDS:
        problems.append(
            f"DEBUG is off: EMAIL_BACKEND={email_backend} does not send e-mails (links "
            "would be printed or kept). Use django.core.mail.backends.smtp.EmailBackend."
        )
    if sms_backend == "console":
        problems.append(
            "DEBUG is off: SMS_BACKEND=console does not send SMS (codes would be printed "
            "in the log). Use SMS_BACKEND=twilio."
        )
    return problems


@register(deploy=True)
def messages_are_delivered(app_configs=None, **kwargs) -> list[Error]:
    """``check --deploy``: no console, in-memory, dummy or file transport in
    production. The settings refuse them at start-up as well."""
    problems = delivery_problems(
        debug=settings.DEBUG,
        email_backend=settings.EMAIL_BACKEND,
        sms_backend=settings.SMS_BACKEND,
    )
    return [Error(problem, id=f"notifications.E10{n}") for n, problem in enumerate(problems, 1)]
