from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Guichet"

    def ready(self) -> None:
        from core.db import utc_timestamps_in_c

        connection_created.connect(utc_timestamps_in_c, dispatch_uid="core.utc_timestamps_in_c")
