from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationConfig(AppConfig):
    name = "allocation"
    verbose_name = _("Fair allocation")

    def ready(self) -> None:
        from accounts.messages import secret_kinds_register
        from allocation import receivers
        from allocation.messages import SHOWN_INSTEAD

        receivers.connect()
        # The offer's message carries its link: rendered at each attempt, never stored.
        secret_kinds_register(SHOWN_INSTEAD)
