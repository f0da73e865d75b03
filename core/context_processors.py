from django.conf import settings

from core.accessibility import AUDIT

SERVICE_NAME = "Guichet — Préfecture de la Seine-Saint-Denis"


def site(request):
    """What every page shows about the service. No database query: it runs on every page."""
    return {
        "GUICHET_DEPARTEMENT": settings.GUICHET_DEPARTEMENT,
        "SERVICE_NAME": SERVICE_NAME,
        # The footer's "Accessibility: ..." line, from the audit the statement shows.
        "ACCESSIBILITY_LEVEL": AUDIT.level,
    }
