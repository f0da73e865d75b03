"""The bodies a join by token reads itself (``allocation.api.hotpath``: slugs
as typed, weekdays as integers) and those it leaves to the serializer: either
way the answer is the serializer's (``WaitlistJoinSerializer``), errors
included, and the plain reading gives what the serializer gives (a property
test). The join's statements: ``test_join_hotpath.py``."""

from __future__ import annotations

import json

import hypothesis
import pytest
from hypothesis import strategies as st

from allocation.api import hotpath
from allocation.api.serializers import WaitlistJoinSerializer
from allocation.models import WaitlistEntry
from booking.models import Site
from tests import factories
from tests.helpers.joins import WAITLIST
from tests.helpers.joins import join_by_api as _join

pytestmark = pytest.mark.django_db


# --- Bodies the read takes, and bodies it leaves to the serializer ---------------------


@pytest.mark.parametrize(
    ("change", "status", "code", "said"),
    [
        ({"procedure": "nowhere"}, 400, "invalid", "procedure"),
        ({"sites": ["nowhere"]}, 400, "invalid", "sites"),
        ({"sites": []}, 400, "invalid", "sites"),
        ({"sites": ["bad slug!"]}, 400, "invalid", "sites"),
        ({"procedure": "x" * 60}, 400, "invalid", "procedure"),
        ({"weekdays_excluded": [1, 2, 3, 4, 5, 6, 7]}, 400, "invalid", "weekdays_excluded"),
        ({"weekdays_excluded": [8]}, 400, "invalid", "weekdays_excluded"),
        # A padded slug is trimmed by the serializer: not what the read looked up.
        ({"sites": [" {site} "]}, 201, None, None),
        ({"sites": ["{site}", "{site}"]}, 201, None, None),
        ({"weekdays_excluded": [6, 7, 6]}, 201, None, None),
    ],
)
def test_a_join_answers_as_the_serializer_decides(api, procedure, site, change, status, code, said):
    body = {"procedure": procedure.slug, "sites": [site.slug]}
    body.update(
        {
            key: [v.format(site=site.slug) if isinstance(v, str) else v for v in value]
            if isinstance(value, list)
            else value
            for key, value in change.items()
        }
    )

    response = api.post(WAITLIST, body, format="json")

    assert response.status_code == status, response.content
    if code is None:
        entry = WaitlistEntry.objects.get()
        assert entry.site_ids == [site.pk]
        return
    assert response.json()["code"] == code
    assert list(response.json()["fields"]) == [said]
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("text", ["\x00", "\ud800", "a\x00b"])
def test_characters_the_database_refuses_get_a_400(api, procedure, site, text):
    for body in (
        {"procedure": procedure.slug, "sites": [site.slug, text]},
        {"procedure": text, "sites": [site.slug]},
    ):
        response = api.post(
            WAITLIST,
            json.dumps(body, ensure_ascii=True),
            content_type="application/json",
        )

        assert response.status_code == 400, response.content
        assert response.json()["code"] in ("invalid", "parse_error")
    assert not WaitlistEntry.objects.exists()


def test_an_inactive_site_is_unknown(api, procedure, site):
    site.is_active = False
    site.save(update_fields=["is_active"])

    response = _join(api, procedure, site)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["sites"]
    assert site.slug in response.json()["fields"]["sites"][0]


def test_an_unknown_token_is_refused_without_writing(procedure, site):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = _join(client, procedure, site)

    assert response.status_code == 401
    assert not WaitlistEntry.objects.exists()


# --- The plain reading of a body is the serializer's ----------------------------------------

# The slugs the hot read takes (``hotpath._body``: as typed); the others are
# the serializer's alone (``test_a_join_answers_as_the_serializer_decides``).
_SLUGS = st.from_regex(r"[-a-zA-Z0-9_]{1,50}", fullmatch=True)
_DAYS = st.one_of(
    st.none(),
    st.integers(-1, 9),
    st.booleans(),
    st.floats(0, 8),
    st.sampled_from(["3", " 4", "x"]),
)


@pytest.fixture
def more_sites(db):
    """Another active site, and an inactive one (unknown to a join)."""
    return factories.SiteFactory(slug="saint-denis"), factories.SiteFactory(
        slug="ferme", is_active=False
    )


@hypothesis.settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(data=st.data())
def test_a_plainly_valid_body_reads_as_the_serializer_reads_it(procedure, site, more_sites, data):
    other, _closed = more_sites
    # Mostly sites found (a body the plain reading takes), some not.
    found_slugs = st.sampled_from([site.slug, other.slug])
    slugs = st.one_of(
        found_slugs, found_slugs, found_slugs, st.sampled_from(["ferme", "nowhere"]), _SLUGS
    )
    body = {
        "procedure": data.draw(st.one_of(st.just(procedure.slug), _SLUGS)),
        "sites": data.draw(
            st.one_of(
                st.lists(found_slugs, min_size=1, max_size=6),
                st.lists(slugs, min_size=1, max_size=6),
            )
        ),
    }
    days = data.draw(
        st.one_of(
            st.none(),
            st.lists(st.integers(1, 7), max_size=8),
            st.lists(_DAYS, max_size=9),
            _DAYS,
        )
    )
    if days is not None:
        body["weekdays_excluded"] = days
    asked = frozenset(body["sites"])
    # What the hot read finds for this body (``hotpath._joined``); it reads only
    # slugs as typed (``hotpath._body``), the serializer the rest.
    found = dict(Site.objects.filter(slug__in=asked, is_active=True).values_list("slug", "pk"))
    reference = hotpath.JoinReference(
        slug=body["procedure"],
        procedure=procedure if body["procedure"] == procedure.slug else None,
        asked=asked,
        sites=found,
        queued=frozenset(found.values()),
        body=body,
    )

    plain = hotpath.join_validated(reference)
    serializer = WaitlistJoinSerializer(data=body, context={"reference": reference})
    valid = serializer.is_valid()

    hypothesis.event("read plainly" if plain is not None else "left to the serializer")
    if plain is not None:
        assert valid, serializer.errors
        checked = serializer.validated_data
        assert plain["procedure"] == checked["procedure"]
        assert plain["sites"] == checked["sites"]
        assert plain["weekdays_excluded"] == checked["weekdays_excluded"]
        assert plain["site_slugs"] == serializer.site_slugs
        assert set(checked) <= {"procedure", "sites", "weekdays_excluded"}


def test_an_applicants_usual_body_is_read_plainly(procedure, site):
    reference = hotpath.JoinReference(
        slug=procedure.slug,
        procedure=procedure,
        asked=frozenset([site.slug]),
        sites={site.slug: site.pk},
        queued=frozenset([site.pk]),
        body={"procedure": procedure.slug, "sites": [site.slug], "weekdays_excluded": [7, 6]},
    )

    assert hotpath.join_validated(reference) == {
        "procedure": procedure,
        "sites": [site.pk],
        "weekdays_excluded": [6, 7],
        "site_slugs": {site.pk: site.slug},
    }
