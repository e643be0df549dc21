from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organization, User
from catalog.models import Category, Product
from matching.models import Match
from procurement.models import ProcurementItem, ProcurementList
from tests.factories import (
    CategoryFactory,
    MatchFactory,
    MembershipFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)


@dataclass
class World:
    buyer: Organization
    buyer_user: User
    supplier: Organization
    supplier_user: User
    other: Organization
    other_user: User
    plist: ProcurementList
    item: ProcurementItem
    item2: ProcurementItem
    product: Product
    match: Match
    match2: Match
    category: Category

    def client(self, user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client


def chain_category(prefix: str = "TSTD") -> Category:
    industry = CategoryFactory(code=prefix, level=Category.Level.INDUSTRY, name_zh="测试产业")
    chain = CategoryFactory(
        code=f"{prefix}.CH", parent=industry, level=Category.Level.CHAIN, name_zh="测试产业链"
    )
    return CategoryFactory(
        code=f"{prefix}.CH.CAB", parent=chain, level=Category.Level.CATEGORY, name_zh="测试电缆"
    )


@pytest.fixture
def world(db: None) -> World:
    category = chain_category()
    buyer = OrganizationFactory(
        roles=["buyer"], name="四川测试建设集团", contact_email="cg@buyer.cn"
    )
    supplier = OrganizationFactory(roles=["supplier"], name="成都测试线缆有限公司")
    other = OrganizationFactory(roles=["supplier", "buyer"], name="德阳其他企业")
    plist = ProcurementListFactory(
        buyer=buyer,
        published=True,
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )
    item = ProcurementItemFactory(
        plist=plist, name="交联电力电缆", category=category, budget=Decimal("500000.00")
    )
    item2 = ProcurementItemFactory(plist=plist, name="控制电缆", budget=Decimal("200000.00"))
    product = ProductFactory(supplier=supplier, published=True, name="YJV22 电力电缆")
    return World(
        buyer=buyer,
        buyer_user=MembershipFactory(organization=buyer).user,
        supplier=supplier,
        supplier_user=MembershipFactory(organization=supplier).user,
        other=other,
        other_user=MembershipFactory(organization=other).user,
        plist=plist,
        item=item,
        item2=item2,
        product=product,
        match=MatchFactory(need_item=item, offer_product=product, score=0.8),
        match2=MatchFactory(need_item=item2, offer_product=product, score=0.5, notify=False),
        category=category,
    )
