from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Booking")

    def ready(self) -> None:
        from booking import signals  # noqa: F401  (connects the receivers)
        from booking.identity import receivers  # noqa: F401  (answers accounts.hooks)
        from booking.services import injunctions  # noqa: F401  (reopens a court order)
