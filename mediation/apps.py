from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("Mediation")

    def ready(self) -> None:
        # A mediator's actions for someone: consent, daily caps, the access point
        # recorded on the booking (booking sends, it does not know mediation).
        from mediation import receivers

        receivers.connect()
