"""Typed refusals of the mediation services (``core.errors`` translates them)."""

from core.errors import Forbidden


class AccessPointNotAllowed(Forbidden):
    """A change of an access point the actor may not make (another point, a
    new one, its slug or whether it is active). Forbidden's message."""

    code = "access_point_not_allowed"
