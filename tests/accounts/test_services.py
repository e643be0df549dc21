import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts import services
from accounts.models import Badge, BadgeKind, Invitation, Membership, Organization, User
from accounts.selectors import badge_active_list, user_is_operator
from catalog.models import Region
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db


def test_it_registers_an_unverified_user_and_queues_the_verification_email(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = services.user_register(
            email="Zhang.Wei@Example.com", password="蜀缆-2026-secure", name="张伟"
        )
    assert user.email == "zhang.wei@example.com"
    assert not user.is_email_verified
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhang.wei@example.com"]
    assert "/accounts/verify/" in mail.outbox[0].body


def test_it_sends_nothing_when_the_registration_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    UserFactory(email="taken@example.com")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.user_register(email="TAKEN@example.com", password="蜀缆-2026-secure")
    assert mail.outbox == []


def test_it_rejects_a_weak_password_with_a_chinese_message():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        services.user_register(email="a@example.com", password="12345678")
    messages = info.value.message_dict["password"]
    assert any("密码" in m for m in messages)
    assert not User.objects.filter(email="a@example.com").exists()


def test_it_verifies_email_with_the_signed_token():
    user = UserFactory(email_verified_at=None)
    token = services.user_email_verification_token(user=user)
    assert services.user_verify_email(token=token) == user
    user.refresh_from_db()
    assert user.is_email_verified


def test_it_rejects_a_tampered_verification_token():
    user = UserFactory(email_verified_at=None)
    token = services.user_email_verification_token(user=user)
    with pytest.raises(ValidationError) as info:
        services.user_verify_email(token=token[:-2] + "xx")
    assert "token" in info.value.message_dict


def test_it_creates_an_organization_with_its_creator_as_admin():
    user = UserFactory()
    org = services.organization_create(
        by=user,
        name="成都蜀缆电线电缆有限公司",
        uscc="91510114ma6rx1qq3j",
        region=Region.objects.get(code="510114"),
        roles=["supplier", "supplier"],
    )
    assert org.uscc == "91510114MA6RX1QQ3J"
    assert org.roles == ["supplier"]
    assert org.verification_status == Organization.Verification.PENDING
    assert org.contact_email == user.email
    assert Membership.objects.get(organization=org).role == Membership.Role.ADMIN


def test_it_rejects_a_duplicate_organization():
    OrganizationFactory(uscc="91510114MA6RX1QQ3J")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        services.organization_create(
            by=UserFactory(),
            name="另一家",
            uscc="91510114MA6RX1QQ3J",
            region=Region.objects.get(code="510100"),
            roles=["buyer"],
        )
    assert "已注册" in info.value.message_dict["uscc"][0]
    assert Organization.objects.count() == 1


def test_it_rejects_an_invalid_uscc_and_an_unknown_role():
    with pytest.raises(ValidationError) as info:
        services.organization_create(
            by=UserFactory(),
            name="X",
            uscc="91510114MA6RX1QQ3K",
            region=Region.objects.get(code="510100"),
            roles=["supplier"],
        )
    assert "uscc" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.organization_create(
            by=UserFactory(),
            name="X",
            uscc=make_uscc(9),
            region=Region.objects.get(code="510100"),
            roles=["wholesaler"],
        )
    assert "roles" in info.value.message_dict


def test_only_operators_verify_and_a_rejection_needs_a_reason(operator):
    org = OrganizationFactory(verification_status=Organization.Verification.PENDING)
    with pytest.raises(PermissionDenied):
        services.organization_set_verification(
            organization=org, by=UserFactory(), status=Organization.Verification.VERIFIED
        )
    with pytest.raises(ValidationError):
        services.organization_set_verification(
            organization=org, by=operator, status=Organization.Verification.REJECTED
        )
    services.organization_set_verification(
        organization=org, by=operator, status=Organization.Verification.VERIFIED
    )
    org.refresh_from_db()
    assert org.is_verified
    assert org.verified_by == operator


def test_an_unverified_operator_organization_grants_no_operator_rights():
    org = OrganizationFactory(
        roles=["operator"], verification_status=Organization.Verification.PENDING
    )
    user = MembershipFactory(organization=org).user
    assert not user_is_operator(user=user)


def test_chengdu_industrial_fine_expires_after_two_years_and_stops_counting(operator):
    org = OrganizationFactory()
    badge = services.badge_award(
        organization=org,
        kind=BadgeKind.CHENGDU_INDUSTRIAL_FINE,
        awarded_on=datetime.date(2024, 2, 29),
        by=operator,
    )
    assert badge.expires_on == datetime.date(2026, 2, 28)
    little_giant = services.badge_award(
        organization=org,
        kind=BadgeKind.LITTLE_GIANT,
        awarded_on=datetime.date(2024, 5, 1),
        by=operator,
    )
    assert little_giant.expires_on is None
    assert set(badge_active_list(organization=org, on=datetime.date(2026, 2, 27))) == {
        badge,
        little_giant,
    }
    assert badge_active_list(organization=org, on=datetime.date(2026, 2, 28)) == [little_giant]


def test_awarding_the_same_badge_twice_changes_nothing(operator):
    org = OrganizationFactory()
    for _ in range(2):
        services.badge_award(
            organization=org,
            kind=BadgeKind.CHAIN_LEADER,
            awarded_on=datetime.date(2026, 1, 1),
            by=operator,
        )
    assert Badge.objects.filter(organization=org).count() == 1


def test_only_operators_award_badges():
    with pytest.raises(PermissionDenied):
        services.badge_award(
            organization=OrganizationFactory(),
            kind=BadgeKind.CHAIN_LEADER,
            awarded_on=datetime.date(2026, 1, 1),
            by=UserFactory(),
        )


def test_an_admin_invites_a_colleague_who_accepts(django_capture_on_commit_callbacks):
    admin = MembershipFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            organization=admin.organization, email="Li.Na@Example.com", by=admin.user
        )
    assert mail.outbox[0].to == ["li.na@example.com"]
    colleague = UserFactory(email="li.na@example.com", email_verified_at=None)
    token = services.invitation_token(invitation=invitation)
    membership = services.invitation_accept(token=token, user=colleague)
    assert membership.organization == admin.organization
    assert membership.role == Membership.Role.MEMBER
    colleague.refresh_from_db()
    assert colleague.is_email_verified
    invitation.refresh_from_db()
    assert invitation.accepted_by == colleague
    # Accepting twice is harmless.
    assert services.invitation_accept(token=token, user=colleague) == membership


def test_an_invitation_to_an_existing_member_is_refused_clearly():
    admin = MembershipFactory()
    colleague = MembershipFactory(organization=admin.organization, role=Membership.Role.MEMBER)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        services.invitation_create(
            organization=admin.organization, email=colleague.user.email, by=admin.user
        )
    assert info.value.message_dict["email"] == [f"{colleague.user.email} 已是该企业的成员。"]
    assert not Invitation.objects.exists()


def test_a_second_pending_invitation_to_the_same_address_is_refused():
    admin = MembershipFactory()
    services.invitation_create(
        organization=admin.organization, email="x@example.com", by=admin.user
    )
    with pytest.raises(ValidationError) as info:
        services.invitation_create(
            organization=admin.organization, email="X@example.com", by=admin.user
        )
    assert "email" in info.value.message_dict


def test_a_plain_member_cannot_invite():
    member = MembershipFactory(role=Membership.Role.MEMBER)
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organization=member.organization, email="y@example.com", by=member.user
        )


def test_an_invitation_is_accepted_only_by_the_invited_address():
    admin = MembershipFactory()
    invitation = services.invitation_create(
        organization=admin.organization, email="z@example.com", by=admin.user
    )
    stranger = UserFactory()
    with pytest.raises(ValidationError):
        services.invitation_accept(
            token=services.invitation_token(invitation=invitation), user=stranger
        )
    assert not Membership.objects.filter(user=stranger).exists()


def test_the_last_admin_cannot_be_removed():
    admin = MembershipFactory()
    with pytest.raises(ValidationError) as info:
        services.membership_remove(membership=admin, by=admin.user)
    assert "user" in info.value.message_dict
    assert Membership.objects.filter(pk=admin.pk).exists()
