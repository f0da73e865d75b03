from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_sites_lists_only_active_sites(applicant_api, site):
    factories.SiteFactory(is_active=False)

    response = applicant_api.get("/api/v1/sites/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "slug": site.slug,
            "name": site.name,
            "address": site.address,
            "postcode": site.postcode,
            "city": site.city,
            "access_info": site.access_info,
        }
    ]


def test_procedures_list_only_active_procedures_with_their_rules(applicant_api):
    procedure = factories.ProcedureFactory(
        duration_minutes=30,
        documents_to_bring="Passeport\n\n  Justificatif de domicile  \n",
        required_document="passport",
        self_booking=False,
        horizon_days=45,
        cutoff_hours=24,
    )
    factories.ProcedureFactory(is_active=False)

    response = applicant_api.get("/api/v1/procedures/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "slug": procedure.slug,
            "name": procedure.name,
            "description": "",
            "duration_minutes": 30,
            "documents_to_bring": ["Passeport", "Justificatif de domicile"],
            "required_document": "passport",
            "self_booking": False,
            "horizon_days": 45,
            "cutoff_hours": 24,
        }
    ]


def test_reference_lists_need_authentication(anonymous_api):
    assert anonymous_api.get("/api/v1/sites/").json()["code"] == "not_authenticated"
    assert anonymous_api.get("/api/v1/procedures/").status_code == 401


def test_reference_lists_take_a_constant_number_of_queries(
    applicant_api, django_assert_max_num_queries
):
    factories.SiteFactory.create_batch(5)
    factories.ProcedureFactory.create_batch(5)

    with django_assert_max_num_queries(2):  # token, list
        assert applicant_api.get("/api/v1/sites/").status_code == 200
    with django_assert_max_num_queries(2):
        assert applicant_api.get("/api/v1/procedures/").status_code == 200
