"""Typed errors of the back office, each with a stable ``code``."""

from django.utils.translation import gettext_lazy as _

from core.errors import NotFound


class SiteNotFound(NotFound):
    # Also what a site that is not the agent's answers: no telling the two apart.
    code = "site_not_found"
    default_message = _("This site does not exist.")


class ProcedureNotFound(NotFound):
    code = "procedure_not_found"
    default_message = _("This procedure does not exist.")
