from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubstitutionConfig(AppConfig):
    name = "substitution"
    verbose_name = _("Substitution route")
