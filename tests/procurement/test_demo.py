import pytest

from accounts.models import Badge, Membership, Organization, User
from catalog.models import Product
from procurement.demo import DEMO_PASSWORD, demo_world_load
from procurement.models import Opportunity, ProcurementItem

pytestmark = pytest.mark.django_db


def test_the_demo_world_loads_the_bundle_organizations_and_three_logins():
    result = demo_world_load()
    assert result.organizations == 32
    assert Organization.objects.count() == 32
    assert Organization.objects.filter(roles__contains=["supplier"]).count() == 25
    assert Organization.objects.filter(roles__contains=["buyer"]).count() == 6
    shulan = Organization.objects.get(uscc="91510114MA6RX1QQ3J")
    assert shulan.region_id == "510114"
    assert [b.kind for b in shulan.badges.all()] == ["chengdu_industrial_fine"]
    assert (
        Product.objects.count(),
        ProcurementItem.objects.count(),
        Opportunity.objects.count(),
    ) == (
        251,
        52,
        20,
    )
    operator = User.objects.get(email="operator@demo.duijie.cn")
    assert operator.check_password(DEMO_PASSWORD)
    assert operator.is_staff and operator.is_email_verified


def test_loading_the_demo_twice_duplicates_nothing():
    def counts():
        models = (Organization, Badge, User, Membership, Product, ProcurementItem, Opportunity)
        return [m.objects.count() for m in models]

    demo_world_load()
    before = counts()
    demo_world_load()
    assert counts() == before
