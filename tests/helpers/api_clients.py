"""API clients for tests."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.services import api_token_create


def token_client(user: User, *, enforce_csrf_checks: bool = False) -> APIClient:
    """An API client that authenticates with a fresh token of ``user``.

    The token counts as just used: its first request would record that
    (``accounts.authentication.token_used``), which a client in use pays only
    once every few minutes, and the query counts are for that common case.
    """
    token, key = api_token_create(user=user)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client = APIClient(enforce_csrf_checks=enforce_csrf_checks)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
