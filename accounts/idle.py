"""A session ends after ``SESSION_IDLE_MINUTES`` without activity, and each request of a
logged-in person pushes that end back (RGAA 13.1: a time limit the person controls; the
forms say so, ``templates/includes/time_limit.html``).

Django's database sessions are not sliding unless saved at every request
(``SESSION_SAVE_EVERY_REQUEST``: one more UPDATE on every page). Here a request saves the
session only when its last save is ``SESSION_REFRESH_SECONDS`` old or more; the cookie
and the row then live ``SESSION_COOKIE_AGE`` = idle limit + refresh interval, so a person
idle for less than the announced limit is never logged out."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

REFRESHED_AT = "_refreshed_at"


def _stamp(session) -> None:
    session[REFRESHED_AT] = int(time.time())


@receiver(user_logged_in, dispatch_uid="accounts.idle.stamp")
def _stamp_at_login(sender, request, user, **kwargs) -> None:
    # Logging in saves the session anyway: its first pages need no second write.
    if request is not None and hasattr(request, "session"):
        _stamp(request.session)


class SlidingSessionMiddleware:
    """Below the session and authentication middleware; token API requests pass by
    (``accounts.fastlane``: they carry no session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No cookie, no session to extend; a request that never read the session (which
        # every page does, for its user) is no activity worth a query; logged out, nothing
        # to keep.
        if (
            session is None
            or session.session_key is None
            or not session.accessed
            or SESSION_KEY not in session
        ):
            return response
        refreshed_at = session.get(REFRESHED_AT) or 0
        if time.time() - refreshed_at >= settings.SESSION_REFRESH_SECONDS:
            _stamp(session)  # saved, its expiry and the cookie's renewed, by SessionMiddleware
        return response
