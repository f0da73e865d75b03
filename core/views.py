"""Public pages, and the one place where domain errors become web messages.

Services raise ``core.errors.DomainError`` subclasses. Views never catch them
one by one: they are decorated with ``domain_errors``, which shows the error's
message in the user's language and redirects (Post/Redirect/Get), or renders
an error page with the error's HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.defaults import server_error as html_server_error

from core import accessibility as statement
from core.errors import DomainError

# (request, *view args, **view kwargs) -> the URL to go back to after an error.
Fallback = Callable[..., str]


def domain_error_message(exc: DomainError) -> str:
    """The text a person reads for ``exc``, in the active language."""
    return exc.detail


def domain_errors(fallback: Fallback | None = None) -> Callable:
    """Turn a ``DomainError`` raised by the view into a message for the user.

    With ``fallback``, the user is redirected to ``fallback(request, *args,
    **kwargs)`` and the message is shown there; without, an error page is
    rendered with the error's status. Nothing the service refused was changed:
    services roll back their transaction before raising.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                message = domain_error_message(exc)
                if fallback is None:
                    return render(
                        request,
                        "core/domain_error.html",
                        {"message": message, "code": exc.code},
                        status=exc.status,
                    )
                messages.error(request, message)
                return redirect(fallback(request, *args, **kwargs))

        return wrapper

    return decorator


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def site_map(request: HttpRequest) -> HttpResponse:
    """The site map (RGAA 12.1): the service's pages for the person reading it."""
    return render(request, "core/site_map.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, in the RGAA's format; its figures come from
    ``core.accessibility`` (the audit in docs/accessibility.md), never from the template."""
    return render(
        request,
        "core/accessibility.html",
        {
            "audit": statement.AUDIT,
            "rgaa_version": statement.RGAA_VERSION,
            "entity": statement.ENTITY,
            "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
            "postal_address": statement.POSTAL_ADDRESS,
            "prefecture_website": statement.PREFECTURE_WEBSITE,
            "defenseur_form": statement.DEFENSEUR_FORM,
            "defenseur_phone": statement.DEFENSEUR_PHONE,
            "defenseur_delegates": statement.DEFENSEUR_DELEGATES,
            "defenseur_address": statement.DEFENSEUR_ADDRESS,
        },
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """A bug, not a user's fault: API clients still get ``{code, detail}``."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "detail": _("An unexpected error occurred. Try again later.")},
            status=500,
        )
    return html_server_error(request)
