from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Export, deletion and retention of personal data: above accounts and
    booking, whose rows it reads and erases. No models, so no verbose name to
    show (nor to translate)."""

    name = "privacy"
