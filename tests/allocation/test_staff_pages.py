"""The staff's waiting-list pages in the back office (the person's entries, joining
for them with the permit's expiry, the permit on an entry) and the supervisors'
allocation modes, through the test client."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from allocation.models import EntryStatus, PriorityClass, WaitlistEntry
from allocation.services import waitlist_join, waitlist_leave
from audit.models import AuditAction, AuditEvent
from backoffice.dashboard import dashboard_build, dashboard_scope
from backoffice.views.people import REACHED_SESSION_KEY
from booking.models import AllocationMode, AllocationPolicy, Pool, Slot
from tests import factories
from tests.allocation.conftest import person
from tests.auth import login

pytestmark = pytest.mark.django_db


def _web(user, *reached) -> Client:
    """``user`` logged in, having found ``reached`` (as the search page does)."""
    client = login(Client(), user)
    if reached:
        session = client.session
        session[REACHED_SESSION_KEY] = {str(p.pk): time.time() for p in reached}
        session.save()
    return client


def _url(name, *args):
    return reverse(f"agent:{name}", args=args)


@pytest.fixture
def agent(site):
    return factories.AgentFactory(sites=[site])


@pytest.fixture
def other_agent(db):
    return factories.AgentFactory(sites=[factories.SiteFactory()])


def test_an_agent_joins_someone_with_the_permits_expiry_and_the_class_follows(
    site, procedure, agent
):
    someone = person()
    web = _web(agent, someone)
    expires = timezone.localdate() + timedelta(days=30)

    response = web.post(
        _url("waitlist_join", someone.pk),
        {"procedure": procedure.pk, "sites": [site.pk], "permit_expires_on": expires.isoformat()},
    )

    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(applicant=someone)
    assert entry.permit_expires_on == expires
    assert entry.priority_class == PriorityClass.PERMIT_EXPIRING
    assert entry.channel == "agent"
    page = web.get(_url("person", someone.pk)).content.decode()
    assert procedure.name in page and site.name in page


def test_the_join_page_offers_only_the_procedures_given_out_by_a_list(site, procedure, agent):
    open_one = factories.ProcedureFactory()
    someone = person()

    page = _web(agent, someone).get(_url("waitlist_join", someone.pk)).content.decode()

    assert procedure.name in page
    assert open_one.name not in page


def test_recording_the_permit_on_an_entry_recomputes_its_class_audited(site, procedure, agent):
    someone = person()
    entry = waitlist_join(
        actor=someone.user, applicant=someone, procedure=procedure, site_ids=[site.pk]
    )
    assert entry.priority_class == PriorityClass.NONE
    web = _web(agent, someone)
    expires = timezone.localdate() + timedelta(days=10)

    response = web.post(
        _url("waitlist_permit", someone.pk, entry.pk), {"permit_expires_on": expires.isoformat()}
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.priority_class == PriorityClass.PERMIT_EXPIRING
    row = AuditEvent.objects.get(action=AuditAction.WAITLIST_PERMIT_SET)
    assert row.actor_id == agent.pk
    assert row.details["priority_class_before"] == PriorityClass.NONE
    assert row.details["priority_class"] == PriorityClass.PERMIT_EXPIRING

    # A permit far off: back to the order of joining.
    web.post(
        _url("waitlist_permit", someone.pk, entry.pk),
        {"permit_expires_on": (expires + timedelta(days=365)).isoformat()},
    )
    entry.refresh_from_db()
    assert entry.priority_class == PriorityClass.NONE


def test_another_sites_agent_gets_404_like_a_missing_entry(site, procedure, other_agent):
    someone = person()
    entry = waitlist_join(
        actor=someone.user, applicant=someone, procedure=procedure, site_ids=[site.pk]
    )
    web = _web(other_agent, someone)

    missing = web.post(_url("waitlist_leave", someone.pk, 2**31 - 1))
    theirs = web.post(_url("waitlist_leave", someone.pk, entry.pk))
    permit = web.get(_url("waitlist_permit", someone.pk, entry.pk))
    change = web.get(_url("waitlist_change", someone.pk, entry.pk))
    changed = web.post(
        _url("waitlist_change", someone.pk, entry.pk), {"sites": [site.pk], "weekdays_excluded": []}
    )

    assert missing.status_code == theirs.status_code == permit.status_code == 404
    assert change.status_code == changed.status_code == 404
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING
    # Their page does not list it (it is at none of their sites).
    page = web.get(_url("person", someone.pk)).content.decode()
    assert procedure.name not in page


def test_an_agent_changes_someones_places_and_days_and_they_keep_their_place(site, procedure):
    second = factories.SiteFactory()
    agent = factories.AgentFactory(sites=[site, second])
    first, someone = person(), person()
    for who in (first, someone):
        waitlist_join(actor=who.user, applicant=who, procedure=procedure, site_ids=[site.pk])
    entry = WaitlistEntry.objects.get(applicant=someone)
    web = _web(agent, someone)

    # The person's page links to the change; the page ticks the present choice.
    page = web.get(_url("person", someone.pk)).content.decode()
    assert _url("waitlist_change", someone.pk, entry.pk) in page
    form = web.get(_url("waitlist_change", someone.pk, entry.pk)).content.decode()
    assert second.name in form
    assert re.search(rf'name="sites" value="{site.pk}"[^>]*checked', form)
    assert not re.search(rf'name="sites" value="{second.pk}"[^>]*checked', form)

    response = web.post(
        _url("waitlist_change", someone.pk, entry.pk),
        {"sites": [site.pk, second.pk], "weekdays_excluded": ["6", "7"]},
    )

    assert response.status_code == 302
    assert response["Location"] == _url("person", someone.pk)
    changed = WaitlistEntry.objects.get(pk=entry.pk)
    assert changed.site_ids == sorted([site.pk, second.pk])
    assert changed.weekdays_excluded == [6, 7]
    assert (changed.queued_at, changed.priority_class) == (entry.queued_at, entry.priority_class)
    row = AuditEvent.objects.get(action=AuditAction.WAITLIST_CHANGED)
    assert row.actor_id == agent.pk
    assert row.details["sites_before"] == [site.pk]
    [row] = web.get(_url("person", someone.pk)).context["waitlist_rows"]
    assert row["view"].position == 2


def test_the_change_page_offers_only_the_agents_sites_and_refuses_any_other(site, procedure, agent):
    elsewhere = factories.SiteFactory()  # given out by the list, not the agent's
    someone = person()
    entry = waitlist_join(
        actor=someone.user, applicant=someone, procedure=procedure, site_ids=[site.pk]
    )
    web = _web(agent, someone)

    form = web.get(_url("waitlist_change", someone.pk, entry.pk)).content.decode()
    response = web.post(
        _url("waitlist_change", someone.pk, entry.pk),
        {"sites": [site.pk, elsewhere.pk], "weekdays_excluded": []},
    )
    every_day = web.post(
        _url("waitlist_change", someone.pk, entry.pk),
        {"sites": [site.pk], "weekdays_excluded": [str(day) for day in range(1, 8)]},
    )

    assert elsewhere.name not in form
    assert response.status_code == every_day.status_code == 200  # the form, with its errors
    assert "sites" in response.context["form"].errors
    assert "weekdays_excluded" in every_day.context["form"].errors
    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == ([site.pk], [])
    assert not AuditEvent.objects.filter(action=AuditAction.WAITLIST_CHANGED).exists()


def test_an_agent_takes_someone_off_the_list(site, procedure, agent):
    someone = person()
    entry = waitlist_join(
        actor=someone.user, applicant=someone, procedure=procedure, site_ids=[site.pk]
    )

    response = _web(agent, someone).post(_url("waitlist_leave", someone.pk, entry.pk))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.LEFT
    assert AuditEvent.objects.filter(action=AuditAction.WAITLIST_LEFT, actor_id=agent.pk).exists()


# --- The allocation modes ---------------------------------------------------------------------


def _future_slots(site, procedure):
    soon = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return [
        factories.SlotFactory(
            site=site, procedure=procedure, starts_at=soon + timedelta(hours=hour)
        )
        for hour in range(2)
    ]


def _pools(slots):
    return {Slot.objects.get(pk=slot.pk).pool for slot in slots}


def test_a_supervisor_gives_a_procedure_out_by_its_list_and_back(site):
    open_procedure = factories.ProcedureFactory()
    slots = _future_slots(site, open_procedure)
    web = _web(factories.UserFactory(role=Role.SUPERVISOR))
    assert _pools(slots) == {Pool.PUBLIC}

    to_queue = web.post(
        _url("allocation_modes"),
        {"procedure": open_procedure.pk, "site": "all", "mode": AllocationMode.QUEUE},
    )

    assert to_queue.status_code == 302
    assert _pools(slots) == {Pool.QUEUE}
    policy = AllocationPolicy.objects.get(procedure=open_procedure, site=None)
    assert policy.mode == AllocationMode.QUEUE

    web.post(
        _url("allocation_modes"),
        {"procedure": open_procedure.pk, "site": "all", "mode": AllocationMode.OPEN},
    )

    assert _pools(slots) == {Pool.PUBLIC}
    assert AuditEvent.objects.filter(action=AuditAction.ALLOCATION_MODE_SET).count() == 2


def test_a_supervisor_sets_one_sites_own_mode(site):
    procedure = factories.ProcedureFactory()
    other_site = factories.SiteFactory()
    here, there = _future_slots(site, procedure), _future_slots(other_site, procedure)
    web = _web(factories.UserFactory(role=Role.SUPERVISOR))

    web.post(
        _url("allocation_modes"),
        {"procedure": procedure.pk, "site": str(site.pk), "mode": AllocationMode.QUEUE},
    )

    assert _pools(here) == {Pool.QUEUE}
    assert _pools(there) == {Pool.PUBLIC}
    assert AllocationPolicy.objects.get(procedure=procedure, site=site).mode == "queue"
    assert not AllocationPolicy.objects.filter(procedure=procedure, site=None).exists()


def test_agents_see_the_modes_but_cannot_change_them(site, procedure, agent):
    slots = _future_slots(site, procedure)
    web = _web(agent)

    page = web.get(_url("allocation_modes"))
    refused = web.post(
        _url("allocation_modes"),
        {"procedure": procedure.pk, "site": "all", "mode": AllocationMode.OPEN},
    )

    assert page.status_code == 200
    assert procedure.name in page.content.decode()
    assert 'name="mode"' not in page.content.decode()
    assert refused.status_code == 403
    assert AllocationPolicy.objects.get(procedure=procedure, site=None).mode == "queue"
    assert _pools(slots) == {Pool.PUBLIC}  # made before; nothing moved


def test_a_mode_form_with_nonsense_changes_nothing(site, procedure):
    web = _web(factories.UserFactory(role=Role.SUPERVISOR))

    response = web.post(
        _url("allocation_modes"), {"procedure": "x", "site": "999999", "mode": "fastest"}
    )

    assert response.status_code == 200
    assert AllocationPolicy.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.ALLOCATION_MODE_SET).exists()


# --- The dashboard's people waiting -----------------------------------------------------------


def test_the_dashboard_counts_an_entry_at_each_of_its_sites_and_once_in_total(site, procedure):
    other_site = factories.SiteFactory()
    both = person()
    waitlist_join(
        actor=both.user, applicant=both, procedure=procedure, site_ids=[site.pk, other_site.pk]
    )
    here = person()
    waitlist_join(actor=here.user, applicant=here, procedure=procedure, site_ids=[site.pk])
    left = person()
    entry = waitlist_join(actor=left.user, applicant=left, procedure=procedure, site_ids=[site.pk])
    waitlist_leave(actor=left.user, entry=entry.pk)
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)

    dashboard = dashboard_build(dashboard_scope(user=supervisor))

    current = {
        (row.site.pk, row.procedure.pk): row.values["waiting_list"]
        for row in dashboard.current
        if row.site is not None and row.values.get("waiting_list")
    }
    assert current == {(site.pk, procedure.pk): 2, (other_site.pk, procedure.pk): 1}
    assert dashboard.current_total.values["waiting_list"] == 2
