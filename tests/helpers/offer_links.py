"""The offer's link in the messages' tests, whether or not the page behind it
(``allocation:offer_link``, another part of the fair-allocation issue) is in
this checkout yet.

``allocation.links.offer_url`` reverses ``allocation:offer_link``. Until that
route exists, ``offer_link_route`` serves the site's URLs plus a stand-in of
it (``tests.helpers.offer_link_urls``), at the path ``STAND_IN``; once it
exists, both do nothing and the real route is used.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from core.links import public_url

STAND_IN = "waitlist/offer/"
# The longest token: the largest id and a signature (``allocation.links``).
LONGEST_TOKEN = f"{2_147_483_647}-{'f' * 32}"


def has_offer_link() -> bool:
    try:
        reverse("allocation:offer_link", args=[LONGEST_TOKEN])
    except NoReverseMatch:
        return False
    return True


def offer_link_route(settings) -> None:
    """Make ``allocation:offer_link`` reversible (``settings``: pytest-django's)."""
    if not has_offer_link():
        settings.ROOT_URLCONF = "tests.helpers.offer_link_urls"


def longest_offer_url() -> str:
    """The longest link an offer's message may carry, on the current public site."""
    if has_offer_link():
        return public_url(reverse("allocation:offer_link", args=[LONGEST_TOKEN]))
    return public_url(f"/{STAND_IN}{LONGEST_TOKEN}/")
