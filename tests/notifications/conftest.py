from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.models import Organization, User
from catalog.models import Category, Product, Region
from matching.models import Match
from matching.services import match_objects
from procurement.models import ProcurementItem, ProcurementList
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)


@dataclass
class World:
    supplier: Organization
    seller: User
    buyer: Organization
    purchaser: User
    product: Product
    plist: ProcurementList
    item: ProcurementItem

    def match(self) -> Match:
        match_objects(kind="product", ids=[self.product.pk])
        match_objects(kind="procurement_item", ids=[self.item.pk])
        return Match.objects.get(need_item=self.item, offer_product=self.product)


def cable_world(*, supplier_name: str = "德阳东方电缆有限公司", with_members: bool = True) -> World:
    cable = Category.objects.filter(name_zh="电力电缆").first()
    supplier = OrganizationFactory(name=supplier_name, roles=["supplier"])
    buyer = OrganizationFactory(name="四川能投集团", roles=["buyer"])
    seller = MembershipFactory(organization=supplier).user if with_members else None
    purchaser = MembershipFactory(organization=buyer).user
    product = ProductFactory(
        supplier=supplier,
        published=True,
        name="YJV22 交联聚乙烯绝缘电力电缆",
        category=cable,
        specs="8.7/15kV 3×240mm²",
        price_min=Decimal("300"),
        price_max=Decimal("500"),
    )
    product.service_regions.set([Region.objects.get(code="510100")])
    plist = ProcurementListFactory(buyer=buyer, published=True, title="2026年电网物资采购清单")
    item = ProcurementItemFactory(
        plist=plist,
        name="交联聚乙烯绝缘电力电缆",
        specs="YJV22 8.7/15kV 3×240",
        category=cable,
        quantity=Decimal("2000"),
        unit="米",
        budget=Decimal("900000"),
        delivery_region=Region.objects.get(code="510104"),
    )
    return World(supplier, seller, buyer, purchaser, product, plist, item)  # type: ignore[arg-type]


@pytest.fixture
def world(db: None) -> World:
    return cable_world()
