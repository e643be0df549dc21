from __future__ import annotations

import factory
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from accounts.models import Membership, Organization, User
from catalog.models import Region


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
