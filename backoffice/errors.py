"""Errors of the back office: booking's own, so that each code has one class
(``tests/test_i18n.py``). A site that is not the agent's answers as one that
does not exist."""

from booking.errors import ProcedureNotFound, SiteNotFound

__all__ = ["ProcedureNotFound", "SiteNotFound"]
