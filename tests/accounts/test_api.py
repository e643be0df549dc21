import pytest
from django.core import mail
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Membership, Organization, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db


def test_it_registers_over_the_api_and_refuses_a_token_until_verified(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/auth/register/",
            {"email": "wang@example.com", "password": "蜀缆-2026-secure", "name": "王芳"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["is_email_verified"] is False
    credentials = {"email": "wang@example.com", "password": "蜀缆-2026-secure"}
    refused = api.post("/api/v1/auth/token/", credentials, format="json")
    assert refused.status_code == 400
    assert "验证" in refused.json()["non_field_errors"][0]

    token = mail.outbox[0].body.split("/accounts/verify/")[1].split("/")[0]
    assert (
        api.post("/api/v1/auth/verify-email/", {"token": token}, format="json").status_code == 200
    )
    granted = api.post("/api/v1/auth/token/", credentials, format="json")
    assert granted.status_code == 200
    assert Token.objects.get(user__email="wang@example.com").key == granted.json()["token"]


def test_bad_registration_data_gets_field_errors_not_a_500(api):
    UserFactory(email="dup@example.com")
    response = api.post(
        "/api/v1/auth/register/", {"email": "dup@example.com", "password": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()
    response = api.post(
        "/api/v1/auth/register/", {"email": "new@example.com", "password": "12345"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["password"]
    response = api.post("/api/v1/auth/register/", {"email": "not-an-email"}, format="json")
    assert set(response.json()) >= {"email", "password"}


def test_the_api_needs_authentication_by_default(api):
    assert api.get("/api/v1/me/").status_code in (401, 403)
    assert api.get("/api/v1/organizations/").status_code in (401, 403)


def test_a_token_authenticates(api):
    user = UserFactory()
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").json()["email"] == user.email


def test_me_can_change_name_and_language_but_not_email(member_client):
    client, user, _org = member_client
    response = client.patch(
        "/api/v1/me/", {"name": "新名字", "language": "en", "email": "x@y.z"}, format="json"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.name, user.language, user.email) == ("新名字", "en", user.email)
    assert client.patch("/api/v1/me/", {"language": "fr"}, format="json").status_code == 400


def test_it_creates_an_organization_and_resolves_the_region_by_name(member_client):
    client, user, _org = member_client
    response = client.post(
        "/api/v1/organizations/",
        {
            "name": "德阳川能线缆科技有限公司",
            "uscc": "91510603MA66UY2H15",
            "region": "德阳市旌阳区",
            "roles": ["supplier"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["region"] == "510603"
    assert body["verification_status"] == "pending"
    assert Membership.objects.get(organization_id=body["id"]).user == user


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"uscc": "91510603MA66UY2H16"}, "uscc", "校验位"),
        ({"uscc": "123"}, "uscc", "18"),
        ({"region": "火星市"}, "region", "火星市"),
        ({"roles": ["wholesaler"]}, "roles", "wholesaler"),
        ({"roles": []}, "roles", ""),
        ({"name": ""}, "name", ""),
    ],
)
def test_bad_organization_data_gets_a_clear_400(member_client, payload, field, fragment):
    client, _user, _org = member_client
    data = {
        "name": "某公司",
        "uscc": make_uscc(77),
        "region": "510100",
        "roles": ["buyer"],
        **payload,
    }
    response = client.post(
        "/api/v1/organizations/", data, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400, response.content
    errors = response.json()[field]
    assert fragment in str(errors)


def test_a_duplicate_organization_is_a_400_in_chinese(member_client):
    client, _user, org = member_client
    response = client.post(
        "/api/v1/organizations/",
        {"name": "重复", "uscc": org.uscc, "region": "510100", "roles": ["buyer"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["uscc"] == ["该统一社会信用代码已注册。"]


def test_pending_organizations_are_visible_only_to_members_and_operators(member_client, operator):
    client, _user, own = member_client
    pending = OrganizationFactory(verification_status=Organization.Verification.PENDING)
    verified = OrganizationFactory()
    listed = {o["id"] for o in client.get("/api/v1/organizations/").json()["results"]}
    assert {own.pk, verified.pk} <= listed
    assert pending.pk not in listed
    assert client.get(f"/api/v1/organizations/{pending.pk}/").status_code == 404
    mine = {o["id"] for o in client.get("/api/v1/organizations/?mine=true").json()["results"]}
    assert mine == {own.pk}

    client.force_authenticate(operator)
    assert client.get(f"/api/v1/organizations/{pending.pk}/").status_code == 200


def test_only_an_org_admin_edits_it_and_the_uscc_is_fixed(member_client):
    client, _user, own = member_client
    other = OrganizationFactory()
    assert (
        client.patch(
            f"/api/v1/organizations/{other.pk}/", {"name": "抢注"}, format="json"
        ).status_code
        == 403
    )
    response = client.patch(
        f"/api/v1/organizations/{own.pk}/", {"name": "新名称", "uscc": make_uscc(5)}, format="json"
    )
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.name == "新名称"
    assert own.uscc != make_uscc(5)


def test_operators_verify_and_award_badges_over_the_api(member_client, operator):
    client, _user, own = member_client
    assert (
        client.post(f"/api/v1/organizations/{own.pk}/verify/", {"status": "verified"}).status_code
        == 403
    )
    client.force_authenticate(operator)
    pending = OrganizationFactory(verification_status=Organization.Verification.PENDING)
    response = client.post(
        f"/api/v1/organizations/{pending.pk}/verify/", {"status": "rejected"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    response = client.post(
        f"/api/v1/organizations/{pending.pk}/verify/", {"status": "verified"}, format="json"
    )
    assert response.json()["verification_status"] == "verified"
    response = client.post(
        f"/api/v1/organizations/{pending.pk}/badges/",
        {"kind": "chengdu_industrial_fine", "awarded_on": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["expires_on"] == "2028-03-01"


def test_members_and_invitations_over_the_api(member_client, django_capture_on_commit_callbacks):
    client, user, own = member_client
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/organizations/{own.pk}/invitations/",
            {"email": "new@example.com"},
            format="json",
        )
    assert response.status_code == 201
    again = client.post(
        f"/api/v1/organizations/{own.pk}/invitations/", {"email": user.email}, format="json"
    )
    assert again.status_code == 400
    assert "email" in again.json()

    invited = UserFactory(email="new@example.com")
    token = mail.outbox[0].body.split("/accounts/invitations/")[1].split("/")[0]
    client.force_authenticate(invited)
    assert (
        client.post("/api/v1/invitations/accept/", {"token": token}, format="json").status_code
        == 200
    )
    members = client.get(f"/api/v1/organizations/{own.pk}/members/").json()["results"]
    assert {m["user"]["email"] for m in members} == {user.email, "new@example.com"}
    # A plain member cannot invite, and outsiders cannot see the member list.
    assert (
        client.post(
            f"/api/v1/organizations/{own.pk}/invitations/", {"email": "b@example.com"}
        ).status_code
        == 403
    )
    client.force_authenticate(UserFactory())
    assert client.get(f"/api/v1/organizations/{own.pk}/members/").status_code == 404


def test_an_admin_removes_a_member(member_client):
    client, _user, own = member_client
    colleague = MembershipFactory(organization=own, role=Membership.Role.MEMBER)
    assert (
        client.delete(f"/api/v1/organizations/{own.pk}/members/{colleague.pk}/").status_code == 204
    )
    assert not Membership.objects.filter(pk=colleague.pk).exists()


def test_regions_are_public_and_filterable(api):
    response = api.get("/api/v1/regions/?parent=510600")
    assert response.status_code == 200
    names = {r["name"] for r in response.json()["results"]}
    assert {"旌阳区", "罗江区", "中江县", "广汉市", "什邡市", "绵竹市"} == names


def test_the_schema_and_swagger_ui_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/organizations/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_services_raise_field_errors_and_the_api_maps_them(member_client):
    # A service-level ValidationError (duplicate invitation) is a 400 with the field.
    client, user, own = member_client
    services.invitation_create(organization=own, email="q@example.com", by=user)
    response = client.post(
        f"/api/v1/organizations/{own.pk}/invitations/", {"email": "q@example.com"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["email"]


def test_drf_create_token_command_works_with_email():
    from django.core.management import call_command

    user = UserFactory()
    call_command("drf_create_token", user.email)
    assert Token.objects.filter(user=user).exists()
    assert User.objects.count() == 1


def test_an_administrator_cannot_make_its_own_organization_an_operator(member_client, operator):
    from accounts.selectors import user_is_operator

    client, user, organization = member_client
    url = f"/api/v1/organizations/{organization.pk}/"
    response = client.patch(url, {"roles": ["supplier", "operator"]}, format="json")
    assert response.status_code == 400 and "roles" in response.json()
    organization.refresh_from_db()
    assert organization.roles == ["supplier"] and not user_is_operator(user=user)
    assert client.patch(url, {"roles": ["supplier", "buyer"]}, format="json").status_code == 200
    office = APIClient()
    office.force_authenticate(operator)
    assert office.patch(url, {"roles": ["operator"]}, format="json").status_code == 200
