from django.conf import settings


def site(request):
    return {"GUICHET_DEPARTEMENT": settings.GUICHET_DEPARTEMENT}
