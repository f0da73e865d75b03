"""The site's URLs with a stand-in for ``allocation:offer_link`` (see
``tests.helpers.offer_links``): a page that only says the token's offer."""

from django.http import Http404, HttpResponse
from django.urls import include, path

from allocation import urls as allocation_urls
from allocation.links import offer_from_token
from config import urls as site_urls
from tests.helpers.offer_links import STAND_IN


def _offer_link(request, token: str) -> HttpResponse:
    offer = offer_from_token(token)
    if offer is None:
        raise Http404
    return HttpResponse(f"offer {offer.pk}", content_type="text/plain")


_allocation = [
    path(f"{STAND_IN}<str:token>/", _offer_link, name="offer_link"),
    *allocation_urls.urlpatterns,
]
urlpatterns = [
    pattern
    for pattern in site_urls.urlpatterns
    if getattr(pattern, "namespace", None) != "allocation"
] + [path("", include((_allocation, "allocation")))]
handler500 = site_urls.handler500
