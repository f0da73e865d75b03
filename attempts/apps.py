from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttemptsConfig(AppConfig):
    name = "attempts"
    verbose_name = _("Record of attempts")

    def ready(self) -> None:
        from attempts import receivers  # noqa: F401  (connects them)
