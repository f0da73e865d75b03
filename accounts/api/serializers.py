from __future__ import annotations

from rest_framework import serializers

from accounts.models import ApiToken


class CredentialsSerializer(serializers.Serializer):
    # A CharField, not an EmailField: a wrong e-mail must not be told apart
    # from a wrong password.
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="The second factor: the 6-digit code of the authenticator app, or a "
        "backup code (used up). Required for staff accounts, and for applicants who "
        "turned two-factor authentication on.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown once."
    )
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it: never the key, only its first characters."""

    current = serializers.SerializerMethodField(
        help_text="Whether this request is authenticated with this token."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "created_at", "expires_at", "last_used_at", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        auth = self.context.get("auth")
        return isinstance(auth, ApiToken) and auth.pk == token.pk
