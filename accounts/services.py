from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

from accounts.models import ApiToken, User


def api_token_create(*, user: User) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its clear key (shown once)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        digest=ApiToken.digest_of(key),
        prefix=key[:8],
        created_at=now,
        expires_at=now + settings.API_TOKEN_TTL,
    )
    return token, key
