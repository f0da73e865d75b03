"""Keeps the tokens of links out of the application's log, as
``config/gunicorn.py`` keeps them out of the access log.

Django logs the path of every 5xx (``django.request``: "Internal Server
Error: /accounts/verify/email/<token>/"), and ``core.middleware`` the path of a
request refused while the database is away: a confirmation, reset or
unsubscribe link followed at that moment would leave a live token in the log.
``MaskTokens``, a filter of the console handler (``LOGGING``), masks those
path segments and every query value in the record's arguments.
"""

from __future__ import annotations

import logging

from config.gunicorn import mask_uri


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                mask_uri(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        return True
