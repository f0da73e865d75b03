from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Export, deletion and retention of personal data: above accounts and
    booking, whose rows it reads and erases."""

    name = "privacy"
    verbose_name = _("Privacy")
