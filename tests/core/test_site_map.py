"""The site map (RGAA 12.1, 12.3, 12.4): a second way to every page, relevant
for whoever reads it, reachable from every page's footer in the same place."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.auth import login

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a href="(/[^"]*)"')


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _links(client) -> list[str]:
    response = client.get(reverse("site_map"))
    assert response.status_code == 200
    return LINK.findall(_main(response.content.decode()))


@pytest.mark.parametrize("persona", ["anonymous", "applicant", "mediator", "agent", "supervisor"])
def test_every_link_of_the_site_map_leads_to_a_page_its_reader_may_open(
    client, persona_world, persona
):
    if persona != "anonymous":
        login(client, persona_world.users[persona])
    links = _links(client)

    assert len(links) >= 8
    for link in links:
        response = client.get(link)
        if persona == "anonymous" and response.status_code == 302:
            # A personal page: the login first, then the page.
            assert response["Location"].startswith(reverse("accounts:login")), link
        else:
            assert response.status_code == 200, (persona, link, response.status_code)


def test_applicants_see_their_pages_and_staff_their_work_area(client, persona_world):
    anonymous = _links(client)
    login(client, persona_world.users["applicant"])
    applicant = _links(client)
    login(client, persona_world.users["mediator"])
    mediator = _links(client)
    login(client, persona_world.users["supervisor"])
    supervisor = _links(client)

    for personal in ("booking:my_appointments", "allocation:mine", "attempts:record"):
        assert reverse(personal) in anonymous
        assert reverse(personal) in applicant
        assert reverse(personal) not in mediator + supervisor
    assert reverse("mediation:home") in mediator
    assert {reverse("agent:day"), reverse("agent:dashboard")} <= set(supervisor)
    assert reverse("accounts:login") in anonymous
    assert reverse("accounts:login") not in applicant
    for public in (
        "booking:procedures",
        "mediation:points",
        "allocation:transparency",
        "accessibility",
    ):
        assert reverse(public) in anonymous


@pytest.mark.parametrize("page", ["home", "accessibility", "mediation:points"])
def test_every_page_links_to_the_site_map_in_its_footer(client, persona_world, page):
    html = client.get(reverse(page)).content.decode()
    footer = html.split('id="footer"', 1)[1]

    assert f'href="{reverse("site_map")}"' in footer


def test_the_console_and_the_back_office_link_to_it_too(client, persona_world):
    for persona, page in (("mediator", "mediation:home"), ("agent", "agent:day")):
        login(client, persona_world.users[persona])
        html = client.get(reverse(page)).content.decode()
        footer = html.split('id="footer"', 1)[1]
        assert f'href="{reverse("site_map")}"' in footer, persona
