"""What the applicant's booking pages show: flashed messages, links, the box of
the other routes when nothing is free, seats taken."""

from __future__ import annotations

from datetime import date

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from booking.models import Applicant, Appointment, Slot
from booking.services import appointment_book


def messages_of(response) -> list[str]:
    """The flashed messages of a response, as text."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def local_day(slot: Slot) -> date:
    """The local (Paris) day a slot starts on."""
    return timezone.localdate(slot.starts_at)


def times_url_of(slot: Slot) -> str:
    """The times page of a slot's procedure and site, at the slot's day."""
    return (
        reverse("booking:times", args=[slot.procedure.slug, slot.site.slug])
        + f"?date={local_day(slot).isoformat()}"
    )


def book(applicant: Applicant, slot: Slot) -> Appointment:
    """Book ``slot`` for ``applicant``, as the applicant, through the service."""
    return appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def booked_seats(slot: Slot) -> int:
    """The seats of ``slot`` booked, as the database has them now."""
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


def links_to(response: HttpResponse, url: str) -> bool:
    """Whether the page links to ``url``."""
    return f'href="{url}"' in response.content.decode()


def other_routes(response: HttpResponse) -> str:
    """The box of the other routes a "nothing free" page shows
    (``includes/help_routes.html``), as HTML, found by its title in the page's
    language; "" when the page has none. Only the box: every page's footer
    links to the access points, the substitution route and the transparency page."""
    html = response.content.decode()
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        title = gettext("Other ways to get an appointment")
    start = html.find(f'<h2 class="fr-callout__title">{title}</h2>')
    return "" if start < 0 else html[start : html.index("</div>", start)]


def routes_link_to(response: HttpResponse, url: str) -> bool:
    """Whether the page's box of the other routes links to ``url``."""
    return f'href="{url}"' in other_routes(response)


# The routes every box of the other routes links to (the waiting list: where it applies).
OTHER_ROUTES = ("allocation:transparency", "mediation:points", "mediation:substitution")


def routes_missing(response: HttpResponse) -> list[str]:
    """The names of ``OTHER_ROUTES`` the page's box does not link to ([]: all)."""
    return [name for name in OTHER_ROUTES if not routes_link_to(response, reverse(name))]
