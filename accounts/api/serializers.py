from __future__ import annotations

from rest_framework import serializers


class CredentialsSerializer(serializers.Serializer):
    # A CharField, not an EmailField: a wrong e-mail must not be told apart
    # from a wrong password.
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown once."
    )
    expires_at = serializers.DateTimeField()
