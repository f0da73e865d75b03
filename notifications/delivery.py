"""Which transports deliver messages: the rule that production must pass.

Imported by ``config/settings.py`` (which refuses to start on a problem) before
Django is set up: nothing here may import Django's apps or settings.
``notifications.checks`` reports the same for ``check --deploy``.
"""

from __future__ import annotations

# E-mail backends that deliver nothing: they print, keep or drop the message.
# With DEBUG off a confirmation or reset link would end in a log or nowhere.
UNDELIVERING_EMAIL_BACKENDS = frozenset(
    f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "locmem", "dummy", "filebased")
)


def delivery_problems(*, debug: bool, email_backend: str, sms_backend: str) -> dict[str, str]:
    """Why messages would not be delivered in production, by setting name (empty
    with DEBUG on). Also read by config/settings.py, which refuses to start on any."""
    problems: dict[str, str] = {}
    if debug:
        return problems
    if email_backend in UNDELIVERING_EMAIL_BACKENDS:
        problems["EMAIL_BACKEND"] = (
            f"DEBUG is off: EMAIL_BACKEND={email_backend} does not send e-mails (links "
            "would be printed or kept). Use django.core.mail.backends.smtp.EmailBackend."
        )
    if sms_backend == "console":
        problems["SMS_BACKEND"] = (
            "DEBUG is off: SMS_BACKEND=console does not send SMS (codes would be printed "
            "in the log). Use SMS_BACKEND=twilio."
        )
    return problems
