"""The audit trail is append-only: the database refuses UPDATE, and DELETE but
of a row past the shortest retention (which the purge deletes), and the admin
offers no way to add, change or delete a row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from config.env import env_int
from privacy.services import personal_data_purge
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(applicant):
    return audit_record(
        actor=applicant.user,
        action=AuditAction.IDENTITY_CORRECTED,
        applicant=applicant,
        details={"reason": "typo"},
    )


def test_raw_sql_update_is_refused_by_the_database(event):
    refused = pytest.raises(IntegrityError, match="cannot be edited or deleted")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s WHERE id = %s",
            ["someone-else@example.test", event.pk],
        )
    event.refresh_from_db()
    assert event.actor_label == event.actor.email


def test_raw_sql_delete_is_refused_by_the_database(event):
    refused = pytest.raises(IntegrityError, match="cannot be edited or deleted")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_are_refused_too(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(details={})
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.details == {"reason": "typo"}


def _aged(event: AuditEvent, **age) -> AuditEvent:
    """A copy of ``event`` written ``age`` ago (an INSERT: the trigger allows it)."""
    return AuditEvent.objects.create(
        occurred_at=timezone.now() - timedelta(**age),
        action=event.action,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        applicant_id=event.applicant_id,
        details=event.details,
    )


def test_a_row_past_the_shortest_retention_may_be_deleted_and_no_younger_one(event):
    old = _aged(event, days=190)
    almost = _aged(event, days=170)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [almost.pk])

    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=almost.pk).exists()


def test_an_old_row_still_cannot_be_edited(event):
    old = _aged(event, days=400)

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).update(actor_label="someone-else@example.test")

    assert AuditEvent.objects.get(pk=old.pk).actor_label == event.actor_label


@override_settings(AUDIT_RETENTION_MONTHS=12)
def test_the_purge_deletes_the_rows_past_the_audit_retention_and_says_so(event):
    old = _aged(event, days=380)
    kept = _aged(event, days=330)

    result = personal_data_purge()

    assert result.audit_rows_deleted == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk__in=[event.pk, kept.pk]).count() == 2
    purged = AuditEvent.objects.get(action=AuditAction.AUDIT_PURGED)
    assert (purged.actor_id, purged.details["rows"]) == (None, 1)
    assert personal_data_purge().audit_rows_deleted == 0


def test_the_audit_retention_cannot_be_set_below_six_months(monkeypatch):
    monkeypatch.setenv("AUDIT_RETENTION_MONTHS", "5")
    with pytest.raises(ImproperlyConfigured, match="at least 6"):
        env_int("AUDIT_RETENTION_MONTHS", 12, minimum=6)


def test_erasing_the_actor_account_keeps_the_row(event):
    factories.UserFactory()  # another account, so the table is not left empty
    user = event.actor
    user_pk = user.pk
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_id == user_pk
    assert event.actor_label.endswith("@example.test")


# --- Admin -------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return factories.UserFactory(role="supervisor", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    return login(client, superuser)


def _url(view: str, *args) -> str:
    return reverse(f"admin:audit_auditevent_{view}", args=args)


def test_admin_lists_and_shows_events_read_only(admin_client, event):
    response = admin_client.get(_url("changelist"))
    assert response.status_code == 200
    assert event.actor_label in response.content.decode()
    response = admin_client.get(_url("change", event.pk))
    assert response.status_code == 200
    assert b'name="actor_label"' not in response.content  # shown, not editable
    assert b"typo" in response.content


def test_admin_has_no_add_change_or_delete_even_for_a_superuser(admin_client, superuser, event):
    model_admin = admin.site._registry[AuditEvent]
    request = type("Request", (), {"user": superuser})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)

    assert admin_client.get(_url("add")).status_code == 403
    assert admin_client.post(_url("add"), {"action": "account.created"}).status_code == 403
    assert admin_client.get(_url("delete", event.pk)).status_code == 403
    assert admin_client.post(_url("delete", event.pk), {"post": "yes"}).status_code == 403
    response = admin_client.post(_url("change", event.pk), {"actor_label": "x@example.test"})
    assert response.status_code == 403
    bulk = admin_client.post(
        _url("changelist"), {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    # The action is not offered: the list again, nothing deleted.
    assert bulk.status_code == 200
    assert AuditEvent.objects.filter(pk=event.pk, actor_label=event.actor_label).exists()


@pytest.mark.parametrize(
    "query", ["q=someone", "q=K7QM2XPA", "q=12", "action__exact=token.created", "actor_role=agent"]
)
def test_admin_search_and_filters_answer(admin_client, event, query):
    assert admin_client.get(_url("changelist") + "?" + query).status_code == 200


def test_only_administrators_and_supervisors_read_it_in_the_admin(client, site, event):
    from django.contrib.auth.models import Permission

    view = Permission.objects.get(codename="view_auditevent")
    agent = factories.AgentFactory(sites=[site], is_staff=True)
    agent.user_permissions.add(view)
    supervisor = factories.UserFactory(role="supervisor", is_staff=True)
    supervisor.user_permissions.add(view)
    login(client, agent)
    assert client.get(_url("changelist")).status_code == 403
    assert client.get(_url("change", event.pk)).status_code == 403
    login(client, supervisor)
    assert client.get(_url("changelist")).status_code == 200
    assert client.get(_url("change", event.pk)).status_code == 200
