"""Access point writes: who may make which change, and the audit of each."""

from __future__ import annotations

import pytest

from audit.models import AuditAction, AuditEvent
from mediation.errors import AccessPointNotAllowed
from mediation.models import AccessPoint
from mediation.services import access_point_create, access_point_update
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_mediator_may_not_deactivate_or_move_their_own_point(mediator):
    point = mediator.access_point

    for changes in ({"is_active": False}, {"slug": "ailleurs"}):
        with pytest.raises(AccessPointNotAllowed):
            access_point_update(actor=mediator, access_point=point, changes=changes)

    point.refresh_from_db()
    assert point.is_active and point.slug != "ailleurs"
    assert not AuditEvent.objects.filter(action=AuditAction.ACCESS_POINT_CHANGED).exists()


def test_a_mediator_may_not_change_another_point_nor_create_one(mediator):
    other = factories.AccessPointFactory()

    with pytest.raises(AccessPointNotAllowed):
        access_point_update(actor=mediator, access_point=other, changes={"phone": "0100000000"})
    with pytest.raises(AccessPointNotAllowed):
        access_point_create(
            actor=mediator,
            access_point=AccessPoint(slug="x", name="X", address="a", postcode="93000", city="c"),
        )

    assert AccessPoint.objects.filter(slug="x").count() == 0


def test_an_unchanged_value_is_no_change_and_no_audit(supervisor):
    point = factories.AccessPointFactory()

    access_point_update(actor=supervisor, access_point=point, changes={"city": point.city})

    assert not AuditEvent.objects.filter(action=AuditAction.ACCESS_POINT_CHANGED).exists()


def test_the_values_before_come_from_the_database_not_from_the_instance(supervisor):
    point = factories.AccessPointFactory(city="Bobigny")
    point.city = "Pantin"  # as a bound admin form leaves it

    access_point_update(actor=supervisor, access_point=point, changes={"city": "Pantin"})

    change = AuditEvent.objects.get(action=AuditAction.ACCESS_POINT_CHANGED)
    assert change.details["before"] == {"city": "Bobigny"}
    assert AccessPoint.objects.get(pk=point.pk).city == "Pantin"
