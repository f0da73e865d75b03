"""My API tokens: list them, revoke one. Issuing one is the API's
(``POST /api/v1/auth/token/``): the key is shown only there, once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.selectors import api_tokens_of
from core.views import domain_errors


@require_GET
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/tokens.html", {"tokens": list(api_tokens_of(request.user))})


@require_POST
@login_required
@domain_errors()  # someone else's token: the 404 page, as for one that does not exist
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.api_token_revoke(user=request.user, token_id=token_id)
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("accounts:tokens")
