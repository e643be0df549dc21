from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def supplier(db):
    """(user, organization) of a verified supplier's administrator."""
    membership = MembershipFactory(organization=OrganizationFactory(roles=["supplier"]))
    return membership.user, membership.organization


@pytest.fixture
def buyer(db):
    membership = MembershipFactory(organization=OrganizationFactory(roles=["buyer"]))
    return membership.user, membership.organization


@pytest.fixture
def operator_user(db):
    ops = OrganizationFactory(roles=["operator"], name="成都都市圈供需对接办公室")
    return MembershipFactory(organization=ops).user
