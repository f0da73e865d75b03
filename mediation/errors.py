"""Typed refusals of the mediation services (``core.errors`` translates them)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden


class AccessPointNotAllowed(Forbidden):
    code = "access_point_not_allowed"
    default_message = _("You are not allowed to make this change to an access point.")
