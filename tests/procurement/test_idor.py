"""IDOR matrix: a verified member of organization A against every row and action of B.

A is a supplier and a buyer; B is too, and B's opportunity batches belong to an operator
organization of B's (``ops_b``). Every write and every read of something not public must be
refused with 403 or 404, B's drafts must not show up in A's lists or exports, and nothing of
B may change. The same matrix run as B's own member shows that the endpoints exist and that
only A's lack of membership is what refuses A.
"""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from catalog.models import Product, Region
from procurement.models import (
    Opportunity,
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)
from tests.factories import (
    MembershipFactory,
    OpportunityBatchFactory,
    OpportunityFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"

# Markers of B's rows: none of the non-public ones may appear in A's responses.
SECRETS = {
    "draft_product": "B草稿产品XQ7",
    "archived_product": "B归档产品XQ8",
    "draft_list": "B草稿清单XQ1",
    "draft_item": "B草稿物资XQ2",
    "draft_batch": "B草稿批次XQ3",
    "draft_opportunity": "B草稿机会XQ4",
}
PUBLIC = {
    "published_product": "B公开产品PB1",
    "published_list": "B公开清单PB2",
    "published_item": "B公开物资PB3",
    "published_batch": "B公开批次PB4",
    "published_opportunity": "B公开机会PB5",
}


@pytest.fixture
def world(member_client):
    client, user_a, org_a = member_client
    org_a.roles = ["supplier", "buyer"]
    org_a.save()
    org_b = OrganizationFactory(roles=["supplier", "buyer"], name="B方企业有限公司")
    ops_b = OrganizationFactory(roles=["operator"], name="B方运营办公室")
    chengdu = Region.objects.get(code="510100")

    draft_product = ProductFactory(
        supplier=org_b, name=SECRETS["draft_product"], price_min=Decimal("10")
    )
    draft_product.service_regions.set([chengdu])
    published_product = ProductFactory(
        supplier=org_b, name=PUBLIC["published_product"], published=True
    )
    archived_product = ProductFactory(
        supplier=org_b, name=SECRETS["archived_product"], status=Product.Status.ARCHIVED
    )
    draft_list = ProcurementListFactory(buyer=org_b, title=SECRETS["draft_list"])
    draft_item = ProcurementItemFactory(
        plist=draft_list, name=SECRETS["draft_item"], delivery_region=chengdu
    )
    published_list = ProcurementListFactory(
        buyer=org_b, title=PUBLIC["published_list"], published=True
    )
    published_item = ProcurementItemFactory(plist=published_list, name=PUBLIC["published_item"])
    ProcurementEvent.objects.create(plist=published_list, kind=ProcurementEvent.Kind.PUBLISHED)
    draft_batch = OpportunityBatchFactory(publisher=ops_b, title=SECRETS["draft_batch"])
    draft_opportunity = OpportunityFactory(
        batch=draft_batch, title=SECRETS["draft_opportunity"], amount=Decimal("100")
    )
    published_batch = OpportunityBatchFactory(
        publisher=ops_b, title=PUBLIC["published_batch"], published=True
    )
    published_opportunity = OpportunityFactory(
        batch=published_batch, title=PUBLIC["published_opportunity"]
    )
    return {
        "client": client,
        "user_a": user_a,
        "org_a": org_a,
        "org_b": org_b,
        "ops_b": ops_b,
        "draft_product": draft_product,
        "published_product": published_product,
        "archived_product": archived_product,
        "draft_list": draft_list,
        "draft_item": draft_item,
        "published_list": published_list,
        "published_item": published_item,
        "draft_batch": draft_batch,
        "draft_opportunity": draft_opportunity,
        "published_batch": published_batch,
        "published_opportunity": published_opportunity,
    }


def snapshot(world):
    """Everything of B in the database, as plain values."""
    org_b, ops_b = world["org_b"], world["ops_b"]
    products = Product.objects.filter(supplier=org_b).order_by("pk")
    return {
        "products": list(products.values()),
        "service_regions": [
            (p.pk, sorted(p.service_regions.values_list("code", flat=True))) for p in products
        ],
        "lists": list(ProcurementList.objects.filter(buyer=org_b).order_by("pk").values()),
        "items": list(ProcurementItem.objects.filter(plist__buyer=org_b).order_by("pk").values()),
        "events": list(ProcurementEvent.objects.filter(plist__buyer=org_b).order_by("pk").values()),
        "batches": list(OpportunityBatch.objects.filter(publisher=ops_b).order_by("pk").values()),
        "opportunities": list(
            Opportunity.objects.filter(batch__publisher=ops_b).order_by("pk").values()
        ),
        # Rows created "on behalf of" B by someone else would show up here too.
        "counts": (
            Product.objects.count(),
            ProcurementList.objects.count(),
            ProcurementItem.objects.count(),
            OpportunityBatch.objects.count(),
            Opportunity.objects.count(),
        ),
    }


def fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def csv_file(text):
    return SimpleUploadedFile("sheet.csv", text.encode("utf-8"), content_type="text/csv")


# (target, action, method, path, payload). Paths and payload strings name rows by {key}.
CASES = [
    # B's draft product: nothing at all.
    ("draft_product", "retrieve", "get", "/products/{draft_product}/", None),
    ("draft_product", "partial_update", "patch", "/products/{draft_product}/", {"name": "篡改"}),
    ("draft_product", "publish", "post", "/products/{draft_product}/publish/", None),
    ("draft_product", "archive", "post", "/products/{draft_product}/archive/", None),
    # B's published product: readable by everybody (see below), writable by nobody else.
    (
        "published_product",
        "partial_update",
        "patch",
        "/products/{published_product}/",
        {"name": "篡改", "price_min": "1"},
    ),
    ("published_product", "publish", "post", "/products/{published_product}/publish/", None),
    ("published_product", "archive", "post", "/products/{published_product}/archive/", None),
    ("org_b", "create_product", "post", "/products/", {"supplier": "{org_b}", "name": "冒名产品"}),
    ("org_b", "upload_products", "upload", "/products/upload/", {"supplier": "{org_b}"}),
    # B's draft list.
    ("draft_list", "retrieve", "get", "/procurement-lists/{draft_list}/", None),
    (
        "draft_list",
        "partial_update",
        "patch",
        "/procurement-lists/{draft_list}/",
        {"title": "篡改"},
    ),
    ("draft_list", "publish", "post", "/procurement-lists/{draft_list}/publish/", None),
    ("draft_list", "close", "post", "/procurement-lists/{draft_list}/close/", None),
    ("draft_list", "cancel", "post", "/procurement-lists/{draft_list}/cancel/", None),
    (
        "draft_list",
        "items",
        "post",
        "/procurement-lists/{draft_list}/items/",
        {"name": "植入行", "quantity": "1"},
    ),
    ("draft_list", "events", "get", "/procurement-lists/{draft_list}/events/", None),
    ("draft_list", "export_csv", "get", "/procurement-lists/{draft_list}/export/?format=csv", None),
    ("draft_list", "export_xlsx", "get", "/procurement-lists/{draft_list}/export/", None),
    # B's published list: readable, but not its audit trail, and not writable.
    (
        "published_list",
        "partial_update",
        "patch",
        "/procurement-lists/{published_list}/",
        {"title": "篡改", "description": "篡改"},
    ),
    ("published_list", "publish", "post", "/procurement-lists/{published_list}/publish/", None),
    ("published_list", "close", "post", "/procurement-lists/{published_list}/close/", None),
    ("published_list", "cancel", "post", "/procurement-lists/{published_list}/cancel/", None),
    (
        "published_list",
        "items",
        "post",
        "/procurement-lists/{published_list}/items/",
        {"name": "植入行", "quantity": "1", "budget": "1"},
    ),
    ("published_list", "events", "get", "/procurement-lists/{published_list}/events/", None),
    (
        "org_b",
        "create_list",
        "post",
        "/procurement-lists/",
        {"buyer": "{org_b}", "title": "冒名清单"},
    ),
    (
        "org_b",
        "upload_list",
        "upload",
        "/procurement-lists/upload/",
        {"buyer": "{org_b}", "title": "冒名上传"},
    ),
    # B's lines.
    ("draft_item", "retrieve", "get", "/procurement-items/{draft_item}/", None),
    (
        "draft_item",
        "partial_update",
        "patch",
        "/procurement-items/{draft_item}/",
        {"quantity": "999"},
    ),
    ("draft_item", "cancel", "post", "/procurement-items/{draft_item}/cancel/", None),
    (
        "published_item",
        "partial_update",
        "patch",
        "/procurement-items/{published_item}/",
        {"quantity": "999", "budget": "0"},
    ),
    ("published_item", "cancel", "post", "/procurement-items/{published_item}/cancel/", None),
    # B's (operator organization's) opportunity batches and their opportunities.
    ("draft_batch", "retrieve", "get", "/opportunity-batches/{draft_batch}/", None),
    ("draft_batch", "publish", "post", "/opportunity-batches/{draft_batch}/publish/", None),
    ("published_batch", "publish", "post", "/opportunity-batches/{published_batch}/publish/", None),
    (
        "ops_b",
        "create_batch",
        "post",
        "/opportunity-batches/",
        {"publisher": "{ops_b}", "title": "冒名批次"},
    ),
    ("draft_opportunity", "retrieve", "get", "/opportunities/{draft_opportunity}/", None),
    (
        "draft_opportunity",
        "partial_update",
        "patch",
        "/opportunities/{draft_opportunity}/",
        {"title": "篡改"},
    ),
    (
        "draft_batch",
        "add_opportunity",
        "post",
        "/opportunities/",
        {"batch": "{draft_batch}", "direction": "demand", "title": "植入机会"},
    ),
    (
        "published_opportunity",
        "partial_update",
        "patch",
        "/opportunities/{published_opportunity}/",
        {"title": "篡改", "amount": "1"},
    ),
    (
        "published_batch",
        "add_opportunity",
        "post",
        "/opportunities/",
        {"batch": "{published_batch}", "direction": "demand", "title": "植入机会"},
    ),
]

UPLOADS = {
    "/products/upload/": "产品名称,单位\n冒名产品,台\n",
    "/procurement-lists/upload/": "物资名称,数量,单位\n植入物资,1,台\n",
}


def call(client, world, method, path, payload):
    ids = {key: value.pk for key, value in world.items() if hasattr(value, "pk")}
    url = API + path.format(**ids)
    data = {k: v.format(**ids) if isinstance(v, str) else v for k, v in (payload or {}).items()}
    if method == "upload":
        data["file"] = csv_file(UPLOADS[path])
        return client.post(url, data, format="multipart")
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data, format="json")


@pytest.mark.parametrize(
    ("target", "action", "method", "path", "payload"),
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_a_member_of_a_is_refused_on_b(world, target, action, method, path, payload):
    before = snapshot(world)
    obj = world[target]
    obj_before = fields(obj)

    response = call(world["client"], world, method, path, payload)

    assert response.status_code in (403, 404), (response.status_code, response.content[:500])
    assert snapshot(world) == before
    obj.refresh_from_db()
    assert fields(obj) == obj_before
    for marker in SECRETS.values():
        assert marker.encode() not in response.content


@pytest.mark.parametrize(
    ("target", "action", "method", "path", "payload"),
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_the_same_requests_by_bs_own_member_are_not_refused(
    world, api, target, action, method, path, payload
):
    """The control: the matrix reaches real endpoints, and only membership refuses A."""
    operators = target == "ops_b" or "batch" in target or "opportunity" in target
    owner = world["ops_b"] if operators else world["org_b"]
    api.force_authenticate(MembershipFactory(organization=owner).user)
    response = call(api, world, method, path, payload)
    assert response.status_code not in (403, 404, 405), (
        response.status_code,
        response.content[:500],
    )
    assert response.status_code < 500


# --- B's published rows are public, and nothing more -----------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/products/{published_product}/",
        "/procurement-lists/{published_list}/",
        "/procurement-lists/{published_list}/export/?format=csv",
        "/procurement-items/{published_item}/",
        "/opportunity-batches/{published_batch}/",
        "/opportunities/{published_opportunity}/",
    ],
)
def test_bs_published_rows_are_readable_without_bs_secrets(world, path):
    response = call(world["client"], world, "get", path, None)
    assert response.status_code == 200, response.content[:500]
    assert any(marker.encode() in response.content for marker in PUBLIC.values())
    for marker in SECRETS.values():
        assert marker.encode() not in response.content


# --- B's drafts never appear in A's lists and exports --------------------------------------------


def _text(response):
    if "spreadsheetml" in response["Content-Type"]:
        sheet = load_workbook(io.BytesIO(response.content)).active
        return "\n".join(
            str(value) for row in sheet.iter_rows(values_only=True) for value in row if value
        )
    return response.content.decode("utf-8")


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/products/", "published_product"),
        ("/products/?supplier={org_b}", "published_product"),
        ("/products/?status=draft", None),
        ("/products/?status=archived", None),
        ("/products/?q=XQ", None),
        ("/products/?region=510100", "published_product"),
        ("/products/export/?format=csv", "published_product"),
        ("/products/export/?format=xlsx", "published_product"),
        ("/products/export/?format=csv&supplier={org_b}&status=draft", None),
        ("/procurement-lists/", "published_list"),
        ("/procurement-lists/?buyer={org_b}", "published_list"),
        ("/procurement-lists/?status=draft", None),
        ("/procurement-lists/?q=XQ", None),
        ("/procurement-items/", "published_item"),
        ("/procurement-items/?buyer={org_b}", "published_item"),
        ("/procurement-items/?list={draft_list}", None),
        ("/procurement-items/?list_status=draft", None),
        ("/procurement-items/?region=510100", None),
        ("/opportunity-batches/", "published_batch"),
        ("/opportunities/", "published_opportunity"),
        ("/opportunities/?batch={draft_batch}", None),
        ("/opportunities/export/?format=csv", "published_opportunity"),
        ("/opportunities/export/?format=xlsx", "published_opportunity"),
    ],
)
def test_bs_drafts_never_appear_in_as_lists_and_exports(world, path, shown):
    before = snapshot(world)
    response = call(world["client"], world, "get", path, None)
    assert response.status_code == 200, response.content[:500]
    text = _text(response)
    for marker in SECRETS.values():
        assert marker not in text
    if shown:
        assert PUBLIC[shown] in text  # the check above is not vacuous
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        ids = {row["id"] for row in body["results"]}
        hidden = {
            "/products/": ("draft_product", "archived_product"),
            "/procurement-lists/": ("draft_list",),
            "/procurement-items/": ("draft_item",),
            "/opportunity-batches/": ("draft_batch",),
            "/opportunities/": ("draft_opportunity",),
        }
        for prefix, keys in hidden.items():
            if path.startswith(prefix):
                assert ids.isdisjoint({world[key].pk for key in keys})
    assert snapshot(world) == before


def test_a_draft_that_b_cancels_without_publishing_stays_private(world, api):
    """Cancelling a draft does not publish it: what B never showed stays B's."""
    draft, item = world["draft_list"], world["draft_item"]
    api.force_authenticate(MembershipFactory(organization=world["org_b"]).user)
    assert api.post(f"{API}/procurement-lists/{draft.pk}/cancel/").status_code == 200
    draft.refresh_from_db()
    assert draft.status == ProcurementList.Status.CANCELLED
    assert draft.published_at is None

    client = world["client"]
    assert client.get(f"{API}/procurement-lists/{draft.pk}/").status_code == 404
    assert client.get(f"{API}/procurement-lists/{draft.pk}/export/?format=csv").status_code == 404
    assert client.get(f"{API}/procurement-items/{item.pk}/").status_code == 404
    for path in ("/procurement-lists/", "/procurement-items/", "/procurement-lists/?q=XQ"):
        response = client.get(API + path)
        assert response.status_code == 200
        assert SECRETS["draft_list"] not in response.content.decode()
        assert SECRETS["draft_item"] not in response.content.decode()
