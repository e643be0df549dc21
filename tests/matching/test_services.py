import re
from decimal import Decimal

import pytest
from django.db import IntegrityError

from accounts.models import Organization
from catalog import services as catalog_services
from catalog.models import Category, Product
from matching.models import Match
from matching.queue import queue_matching
from matching.services import match_objects
from procurement import services as procurement_services
from procurement.models import ProcurementItem
from tests.factories import MembershipFactory

from .conftest import match_everything

pytestmark = pytest.mark.django_db


def _canon(cert: str) -> str:
    """Spelling variants the evaluation treats as one certificate, written out independently."""
    value = re.sub(r"\s+", "", cert).upper()
    value = re.sub(r"^(ISO\d+):\d{4}$", r"\1", value)
    return {"CCCF": "消防产品认证", "3C": "CCC"}.get(value, value)


def _snapshot():
    return list(
        Match.objects.order_by("need_key", "offer_key").values_list(
            "need_key", "offer_key", "score", "rank", "notify", "status", "reasons"
        )
    )


def test_running_matching_twice_changes_nothing(dev_world):
    before = _snapshot()
    assert before
    match_everything()
    assert _snapshot() == before


def test_one_match_per_pair_is_enforced_by_the_database(dev_world):
    match = Match.objects.first()
    duplicate = Match(
        need_key=match.need_key,
        offer_key=match.offer_key,
        need_item_id=match.need_item_id,
        need_opportunity_id=match.need_opportunity_id,
        offer_product_id=match.offer_product_id,
        offer_opportunity_id=match.offer_opportunity_id,
        score=0.5,
    )
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_a_supplier_lacking_a_required_certification_is_never_matched(dev_world):
    for match in Match.objects.filter(
        status="active", need_item__isnull=False, offer_product__isnull=False
    ):
        required = {_canon(c) for c in match.need_item.required_certifications}
        held = {_canon(c) for c in match.offer_product.certifications}
        assert required <= held, (match.need_key, match.offer_key)


def test_an_unverified_supplier_is_never_matched(dev_world):
    product = Product.objects.get(ref="S-0167")
    org = product.supplier
    org.verification_status = Organization.Verification.PENDING
    org.save()
    match_objects(kind="product", ids=list(org.products.values_list("pk", flat=True)))
    assert not Match.objects.filter(supplier=org, status="active").exists()


def test_archiving_an_offer_retires_its_matches(dev_world):
    product = Product.objects.get(ref="S-0167")
    assert Match.objects.filter(offer_product=product, status="active").exists()
    user = MembershipFactory(organization=product.supplier).user
    catalog_services.product_archive(product=product, by=user)
    match_objects(kind="product", ids=[product.pk])
    assert not Match.objects.filter(offer_product=product, status="active").exists()


def test_cancelling_a_list_retires_the_matches_of_its_lines(dev_world):
    item = ProcurementItem.objects.get(ref="P-0001")
    plist = item.plist
    user = MembershipFactory(organization=plist.buyer).user
    procurement_services.procurement_list_cancel(plist=plist, by=user)
    match_objects(kind="procurement_item", ids=list(plist.items.values_list("pk", flat=True)))
    assert not Match.objects.filter(need_item__plist=plist, status="active").exists()


def test_a_new_product_finds_the_open_needs_it_fits(dev_world):
    supplier = Product.objects.get(ref="S-0167").supplier
    user = MembershipFactory(organization=supplier).user
    product = catalog_services.product_create(
        supplier=supplier,
        by=user,
        name="有衬里消防水带",
        description="DN65 消防水带，衬里聚氨酯",
        specs="DN65 25米 10型",
        certifications=["CCCF", "ISO9001"],
        price_min=Decimal("180"),
    )
    catalog_services.product_publish(product=product, by=user)
    match_objects(kind="product", ids=[product.pk])
    needs = set(
        Match.objects.filter(offer_product=product, status="active").values_list(
            "need_item__ref", flat=True
        )
    )
    assert {"P-0001", "P-0030"} <= needs
    match = Match.objects.get(offer_product=product, need_item__ref="P-0001")
    assert match.rank <= 3


def test_a_500_line_list_is_a_handful_of_tasks(django_capture_on_commit_callbacks):
    from celery.signals import task_prerun

    calls = []

    def record(sender=None, args=None, **kwargs):
        if sender is not None and sender.name == "matching.tasks.match_object_ids":
            calls.append(len(args[1]))

    task_prerun.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            queue_matching(kind="procurement_item", ids=range(1, 501))
    finally:
        task_prerun.disconnect(record)
    assert calls == [100] * 5


def test_an_edited_offer_leaves_the_needs_it_no_longer_fits(dev_world):
    product = Product.objects.get(ref="S-0167")
    assert Match.objects.filter(
        offer_product=product, need_item__ref="P-0001", status="active"
    ).exists()
    user = MembershipFactory(organization=product.supplier).user
    catalog_services.product_update(
        product=product,
        by=user,
        name="普通硅酸盐水泥",
        category=Category.objects.get(name_zh="水泥"),
        description="P.O 42.5 袋装水泥",
        specs="P.O 42.5",
    )
    match_objects(kind="product", ids=[product.pk])
    assert not Match.objects.filter(
        offer_product=product, need_item__ref="P-0001", status="active"
    ).exists()


def test_corpus_totals_follow_the_documents(dev_world):
    """BM25's N and average length come from two kept rows; they must equal a fresh count."""
    from django.db.models import Avg, Count

    from matching.models import Document
    from matching.services import side_stats

    def fresh(side):
        agg = Document.objects.filter(side=side, active=True).aggregate(
            n=Count("id"), avg=Avg("length")
        )
        return agg["n"], pytest.approx(agg["avg"])

    for side in ("need", "offer"):
        stats = side_stats(side, [])
        assert stats.n > 0
        assert (stats.n, stats.avgdl) == fresh(side)
    product = Product.objects.get(ref="S-0167")
    user = MembershipFactory(organization=product.supplier).user
    catalog_services.product_update(
        product=product, by=user, name="普通硅酸盐水泥", specs="P.O 42.5 袋装 50kg 每包"
    )
    match_objects(kind="product", ids=[product.pk])
    assert (side_stats("offer", []).n, side_stats("offer", []).avgdl) == fresh("offer")
    catalog_services.product_archive(product=Product.objects.get(pk=product.pk), by=user)
    match_objects(kind="product", ids=[product.pk])
    stats = side_stats("offer", [])
    assert (stats.n, stats.avgdl) == fresh("offer")


def test_a_cached_document_is_read_again_once_its_row_changes(dev_world):
    from django.db import connection

    from matching import services
    from matching.models import Document

    product = Product.objects.get(ref="S-0167")
    key = f"product:{product.pk}"

    def version():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {services.VERSION} FROM matching_document WHERE key = %s",  # noqa: S608
                [key],
            )
            return cursor.fetchall()

    [first] = services._fetch(version())
    assert services._fetch(version())[0] is first  # unchanged: the cached instance
    user = MembershipFactory(organization=product.supplier).user
    catalog_services.product_update(product=product, by=user, name="普通硅酸盐水泥")
    match_objects(kind="product", ids=[product.pk])
    [again] = services._fetch(version())
    assert again is not first
    assert again.title == "普通硅酸盐水泥" == Document.objects.get(key=key).title


def test_a_need_without_a_delivery_region_or_category_still_finds_offers(db):
    """Regression: the candidate query's ORDER BY had a constant for a need with no region."""
    from decimal import Decimal

    from tests.factories import ProcurementItemFactory, ProcurementListFactory, ProductFactory

    product = ProductFactory(published=True, name="不锈钢闸阀 DN100 PN16")
    match_objects(kind="product", ids=[product.pk])
    item = ProcurementItemFactory(
        plist=ProcurementListFactory(published=True),
        name="不锈钢闸阀",
        specs="DN100",
        delivery_region=None,
        category=None,
        budget=Decimal("5000"),
    )
    match_objects(kind="procurement_item", ids=[item.pk])
    assert Match.objects.filter(need_item=item, offer_product=product, status="active").exists()
