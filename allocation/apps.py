from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationConfig(AppConfig):
    name = "allocation"
    verbose_name = _("Fair allocation")

    def ready(self) -> None:
        from allocation import receivers

        receivers.connect()
