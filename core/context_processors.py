from django.conf import settings

SERVICE_NAME = "Guichet — Préfecture de la Seine-Saint-Denis"


def site(request):
    """What every page shows about the service. No database query: it runs on every page."""
    return {
        "GUICHET_DEPARTEMENT": settings.GUICHET_DEPARTEMENT,
        "SERVICE_NAME": SERVICE_NAME,
    }
