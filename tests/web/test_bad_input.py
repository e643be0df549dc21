"""Garbage posted to every form answers with a page (400, a redirect or a 403/404), never a 500."""

from __future__ import annotations

import pytest

from tests.factories import (
    MembershipFactory,
    OpportunityBatchFactory,
    OrganizationFactory,
    ProcurementListFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

GARBAGE = [
    {},
    {"name": "x" * 5000, "price_min": "NaN", "price_max": "1e999", "lead_time_days": "-1"},
    {"supplier": "999999", "organization": "abc", "title": "", "deadline": "2025-02-30"},
    {"lines-TOTAL_FORMS": "9999", "lines-INITIAL_FORMS": "0", "lines-0-name": "x"},
    {"lines-TOTAL_FORMS": "x", "lines-INITIAL_FORMS": "y"},
    {"decision": "verified", "reason": "\x00"},
    {"uscc": "'; DROP TABLE accounts_organization; --", "kind": "nope", "awarded_on": "tomorrow"},
    {"email": "not-an-email", "role": "owner", "region": "000000", "roles": ["martian"]},
    {"direction": "sideways", "type": "x", "amount_wan": "-0", "region": "510100"},
    {"line-name": "电缆", "line-quantity": "1e30", "line-budget_wan": "99999999999999"},
    {"service_regions": ["999999"], "category": "-1", "certifications": "，" * 300},
    {"action": "cancel", "back": "javascript:alert(1)", "status": "../../"},
]


@pytest.fixture
def world(db):
    org = OrganizationFactory(roles=["supplier", "buyer", "operator"])
    user = MembershipFactory(organization=org).user
    return {
        "user": user,
        "org": org,
        "product": ProductFactory(supplier=org),
        "plist": ProcurementListFactory(buyer=org),
        "batch": OpportunityBatchFactory(publisher=org),
        "pending": OrganizationFactory(verification_status="pending"),
    }


def _urls(w):
    return [
        "/accounts/register/",
        "/accounts/verify/resend/",
        "/accounts/profile/",
        "/accounts/organizations/new/",
        f"/accounts/organizations/{w['org'].pk}/",
        f"/accounts/organizations/{w['org'].pk}/invite/",
        f"/accounts/operator/verification/{w['pending'].pk}/",
        "/accounts/operator/badges/",
        "/catalog/products/new/",
        f"/catalog/products/{w['product'].pk}/",
        f"/catalog/products/{w['product'].pk}/publish/",
        "/catalog/products/upload/",
        "/procurement/lists/new/",
        "/procurement/lists/upload/",
        f"/procurement/lists/{w['plist'].pk}/lines/",
        f"/procurement/lists/{w['plist'].pk}/close/",
        "/procurement/batches/",
        f"/procurement/batches/{w['batch'].pk}/opportunities/",
        f"/procurement/batches/{w['batch'].pk}/publish/",
    ]


@pytest.mark.parametrize("data", GARBAGE, ids=range(len(GARBAGE)))
def test_no_form_answers_500(client, world, data):
    client.force_login(world["user"])
    client.raise_request_exception = False
    for url in _urls(world):
        response = client.post(url, data)
        assert response.status_code < 500, (url, response.status_code)
