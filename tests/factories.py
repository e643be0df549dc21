from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from accounts.models import Membership, Organization, User
from catalog.models import Category, Product, Region
from matching.models import Match
from procurement.models import (
    Opportunity,
    OpportunityBatch,
    ProcurementItem,
    ProcurementList,
)


def make_uscc(n: int) -> str:
    base = f"91510100MA{n:07d}"
    return base + stdnum_uscc.calc_check_digit(base)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"用户{n}")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"成都测试企业{n}有限公司")
    uscc = factory.Sequence(make_uscc)
    region = factory.LazyFunction(lambda: Region.objects.get(code="510100"))
    roles = factory.LazyFunction(lambda: ["supplier"])
    verification_status = Organization.Verification.VERIFIED
    contact_email = factory.Sequence(lambda n: f"org{n}@example.com")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.ADMIN


# --- Listings: categories, products, procurement lists and opportunity batches -----------


class CategoryFactory(factory.django.DjangoModelFactory):
    """A taxonomy node; give ``code`` as a dotted path (``TST.CAB``) and its ``parent``."""

    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TST{n}")
    level = Category.Level.INDUSTRY
    name_zh = factory.Sequence(lambda n: f"测试类别{n}")
    name_en = factory.Sequence(lambda n: f"Test category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    supplier = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"测试产品{n}")
    status = Product.Status.DRAFT

    class Params:
        published = factory.Trait(
            status=Product.Status.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )


class ProcurementListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcurementList

    buyer = factory.SubFactory(OrganizationFactory, roles=["buyer"])
    title = factory.Sequence(lambda n: f"测试采购清单{n}")
    status = ProcurementList.Status.DRAFT

    class Params:
        published = factory.Trait(
            status=ProcurementList.Status.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
        )


class ProcurementItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcurementItem

    plist = factory.SubFactory(ProcurementListFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"测试物资{n}")
    quantity = Decimal("10")
    unit = "件"
    budget = Decimal("1000.00")


class OpportunityBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpportunityBatch

    publisher = factory.SubFactory(
        OrganizationFactory, roles=["operator"], name=factory.Sequence(lambda n: f"测试运营方{n}")
    )
    title = factory.Sequence(lambda n: f"测试机会清单第{n}批")
    status = OpportunityBatch.Status.DRAFT

    class Params:
        published = factory.Trait(
            status=OpportunityBatch.Status.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
        )


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    batch = factory.SubFactory(OpportunityBatchFactory)
    direction = Opportunity.Direction.DEMAND
    type = Opportunity.Type.OTHER
    title = factory.Sequence(lambda n: f"测试机会{n}")


class MatchFactory(factory.django.DjangoModelFactory):
    """A stored match of a procurement line and a product (what the matcher writes)."""

    class Meta:
        model = Match

    need_item = factory.SubFactory(ProcurementItemFactory)
    offer_product = factory.SubFactory(ProductFactory)
    need_key = factory.LazyAttribute(lambda m: f"procurement_item:{m.need_item.pk}")
    offer_key = factory.LazyAttribute(lambda m: f"product:{m.offer_product.pk}")
    buyer = factory.LazyAttribute(lambda m: m.need_item.plist.buyer)
    supplier = factory.LazyAttribute(lambda m: m.offer_product.supplier)
    score = 0.7
    rank = 1
    notify = True
