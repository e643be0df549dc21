import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization
from catalog.models import Product
from procurement.models import ProcurementList
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

SHEET = (
    "采购清单\n\n序号,物资名称,规格型号,数量,单位,预算金额（万元）,交货地点\n"
    "1,电力电缆,YJV22 3×240,1200,米,35.5,德阳市\n"
    "2,消防水带,DN65,480,盘,9.763,成都市金牛区\n"
    "合计,,,,,45.263,\n"
)


@pytest.fixture
def buyer_client(client):
    org = OrganizationFactory(roles=["buyer"])
    membership = MembershipFactory(organization=org)
    client.force_login(membership.user)
    return client, org


def _post_list(client, org, content: bytes, name="清单.csv", **extra):
    data = {
        "organization": org.pk,
        "title": "二季度物资",
        "deadline": "2099-06-30",
        "file": SimpleUploadedFile(name, content),
        **extra,
    }
    return client.post("/procurement/lists/upload/", data)


def test_a_buyer_uploads_a_sheet_sees_how_it_was_read_and_publishes(buyer_client):
    client, org = buyer_client
    response = _post_list(client, org, SHEET.encode())
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "预算金额（万元）" in page and "× 10000" in page  # the column mapping preview
    assert "header on row 3" in page or "第 3 行" in page
    plist = ProcurementList.objects.get(buyer=org)
    assert plist.status == ProcurementList.Status.DRAFT
    assert plist.items.count() == 2
    response = client.post(f"/procurement/lists/{plist.pk}/publish/", follow=True)
    plist.refresh_from_db()
    assert plist.status == ProcurementList.Status.PUBLISHED


def test_bad_rows_are_named_inline_and_nothing_is_saved(buyer_client):
    client, org = buyer_client
    bad = "序号,物资名称,数量,交货地点\n1,电缆,-5,德阳\n2,水泥,10,火星\n"
    response = _post_list(client, org, bad.encode())
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("<tr><td>清单.csv</td>") == 2
    assert "数量" in page and "交货地点" in page
    assert not ProcurementList.objects.exists()


def test_an_unverified_buyer_cannot_publish(client):
    org = OrganizationFactory(
        roles=["buyer"], verification_status=Organization.Verification.PENDING
    )
    client.force_login(MembershipFactory(organization=org).user)
    _post_list(client, org, SHEET.encode())
    plist = ProcurementList.objects.get(buyer=org)
    response = client.post(f"/procurement/lists/{plist.pk}/publish/", follow=True)
    plist.refresh_from_db()
    assert plist.status == ProcurementList.Status.DRAFT
    assert org.name in response.content.decode()


def test_another_organizations_draft_is_a_404(buyer_client, client):
    _client, org = buyer_client
    plist = ProcurementList.objects.create(buyer=org, title="草稿")
    outsider = MembershipFactory(organization=OrganizationFactory(roles=["buyer"]))
    other = type(client)()
    other.force_login(outsider.user)
    assert other.get(f"/procurement/lists/{plist.pk}/").status_code == 404
    assert other.post(f"/procurement/lists/{plist.pk}/publish/").status_code == 404


def test_a_user_without_a_buyer_organization_is_told_what_to_do(client):
    client.force_login(MembershipFactory(organization=OrganizationFactory(roles=["supplier"])).user)
    response = client.get("/procurement/lists/upload/")
    assert response.status_code == 403


def test_the_upload_page_needs_a_login(client):
    assert client.get("/procurement/lists/upload/").status_code == 302


def test_a_supplier_uploads_a_catalogue(client):
    org = OrganizationFactory(roles=["supplier"])
    client.force_login(MembershipFactory(organization=org).user)
    content = "编号,产品名称,规格型号,最低价\nA1,交联电力电缆,YJV 3×240,1200\n".encode()
    response = client.post(
        "/catalog/products/upload/",
        {"organization": org.pk, "file": SimpleUploadedFile("目录.csv", content)},
    )
    assert response.status_code == 200, response.content.decode()
    product = Product.objects.get(supplier=org)
    assert (product.ref, product.status) == ("A1", Product.Status.DRAFT)
    assert product.category is not None and product.category.name_zh == "电力电缆"


def test_a_renamed_text_file_gets_a_clear_message_on_the_page(client):
    org = OrganizationFactory(roles=["supplier"])
    client.force_login(MembershipFactory(organization=org).user)
    response = client.post(
        "/catalog/products/upload/",
        {
            "organization": org.pk,
            "file": SimpleUploadedFile("目录.xlsx", io.BytesIO(b"hello").read()),
        },
    )
    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()
    assert not Product.objects.exists()


def test_an_english_speaking_user_gets_the_api_report_in_english():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    org = OrganizationFactory(roles=["buyer"])
    user = MembershipFactory(organization=org).user
    user.language = "en"
    user.save()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    bad = "序号,物资名称,数量\n1,电缆,-5\n".encode()
    response = api.post(
        "/api/v1/procurement-lists/upload/",
        {"buyer": org.pk, "title": "t", "file": SimpleUploadedFile("x.csv", bad)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["report"]["errors"][0]["message"] == "must be greater than 0"
    # Without a preference the platform speaks Chinese.
    user.language = "zh-hans"
    user.save()
    response = api.post(
        "/api/v1/procurement-lists/upload/",
        {"buyer": org.pk, "title": "t", "file": SimpleUploadedFile("x.csv", bad)},
        format="multipart",
    )
    assert response.json()["report"]["errors"][0]["message"] == "必须大于 0"
