"""One language per person: the pages they read and the messages they receive.

Django's ``LocaleMiddleware`` serves pages in the language of the
``django_language`` cookie (else the browser's). The messages use the
account's ``User.language`` (and its identity's ``Applicant.preferred_language``,
which follows it: ``accounts.hooks.language_chosen``). Three moments keep
the two together:

- the header's switcher (``set_language``, a plain POST form) sets the cookie
  and, for a logged-in account, its language: the next message is in it;
- logging in sets the cookie to the account's language (``language_at_login``,
  a ``user_logged_in`` receiver, and ``LanguageCookieMiddleware``): the
  account's choice wins over the cookie of whoever used the browser before;
- registering stores the language the visitor's pages were in
  (``accounts.views.register``), so a choice made on the first page carries on.

The cookie is the only thing read on each request: no query is added to any
page. An account changed from another browser shows there from its next login.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views import i18n

from accounts.otp import session_needs_otp
from accounts.services import account_language_set
from core.languages import language_codes

# Set on the request by ``language_at_login``: the language the response's cookie takes.
_AT_LOGIN = "_account_language"


def language_cookie_set(response: HttpResponse, language: str) -> None:
    """The cookie ``LocaleMiddleware`` reads, as Django's own view sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (same URL and name), which also remembers the
    choice on the logged-in account.

    Only a language of ``LANGUAGES`` is kept: Django's view would store any
    code it has a catalogue for ("de"), which the pages then ignore, falling
    back to the browser's language; here the cookie is left as it was. A
    session that has yet to pass the second factor may switch its pages but
    does not write to the account. No rate limit: the request creates no row
    and sends nothing (at most it updates the account's and its identity's
    language, which the same request can only set back); CSRF applies.
    """
    response = i18n.set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if language not in language_codes():
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        return response
    user = request.user
    if user.is_authenticated and user.language != language and not session_needs_otp(request):
        account_language_set(user=user, language=language)
    return response


def language_at_login(*, request: HttpRequest | None, user) -> None:
    """Have the login's response set the cookie to the account's language
    (``LanguageCookieMiddleware``): the pages that follow are in it. The login's
    own answer is a redirect, so nothing is activated here (a test's
    ``force_login`` would change the test's language)."""
    if request is not None and user.language in language_codes():
        setattr(request, _AT_LOGIN, user.language)


class LanguageCookieMiddleware:
    """Sets the language cookie on the response of a login (``language_at_login``).
    Reads an attribute of the request: no query, nothing for other requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, _AT_LOGIN, None)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            language_cookie_set(response, language)
        return response
