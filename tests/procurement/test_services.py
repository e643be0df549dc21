import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Organization
from procurement import services
from procurement.models import ProcurementEvent, ProcurementList
from procurement.selectors import procurement_list_visible_to
from procurement.tasks import close_expired_lists
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    membership = MembershipFactory(organization=OrganizationFactory(roles=["buyer"]))
    return membership.user, membership.organization


def _published(user, org, deadline=datetime.date(2027, 1, 10)):
    with time_machine.travel(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)):
        plist = services.procurement_list_create(
            buyer=org, by=user, title="物资清单", deadline=deadline
        )
        services.procurement_item_add(
            plist=plist, by=user, name="电力电缆", quantity=Decimal("100"), budget=Decimal("5000")
        )
        services.procurement_item_add(
            plist=plist, by=user, name="消防水带", quantity=Decimal("10"), budget=Decimal("800")
        )
        services.procurement_list_publish(plist=plist, by=user)
    return plist


def test_the_periodic_task_closes_lists_whose_deadline_passed(buyer):
    user, org = buyer
    expired = _published(user, org, deadline=datetime.date(2027, 1, 10))
    current = _published(user, org, deadline=datetime.date(2027, 3, 1))
    with time_machine.travel(datetime.datetime(2027, 1, 11, 2, 0, tzinfo=datetime.UTC)):
        assert close_expired_lists.delay().get() == 1
    expired.refresh_from_db()
    current.refresh_from_db()
    assert expired.status == ProcurementList.Status.CLOSED
    assert current.status == ProcurementList.Status.PUBLISHED
    assert expired.events.filter(kind=ProcurementEvent.Kind.CLOSED, actor=None).exists()


def test_the_total_budget_is_derived_from_open_lines(buyer):
    user, org = buyer
    plist = _published(user, org)
    cable = plist.items.get(name="电力电缆")
    total = procurement_list_visible_to(user=user).get(pk=plist.pk).total_budget
    assert total == Decimal("5800")
    services.procurement_item_cancel(item=cable, by=user)
    assert procurement_list_visible_to(user=user).get(pk=plist.pk).total_budget == Decimal("800")


def test_editing_a_published_list_is_recorded_with_old_and_new_values(buyer):
    user, org = buyer
    plist = _published(user, org)
    line = plist.items.get(name="电力电缆")
    services.procurement_item_update(item=line, by=user, quantity=Decimal("120"))
    services.procurement_list_update(plist=plist, by=user, deadline=datetime.date(2027, 2, 1))
    edits = list(plist.events.filter(kind__in=["item_edited", "edited"]).order_by("pk"))
    assert edits[0].changes == {"quantity": ["100.000", "120"]}
    assert edits[0].actor == user
    assert edits[1].changes == {"deadline": ["2027-01-10", "2027-02-01"]}


def test_only_verified_buyers_publish_and_only_members_edit(buyer):
    user, org = buyer
    org.verification_status = Organization.Verification.PENDING
    org.save()
    plist = services.procurement_list_create(buyer=org, by=user, title="待审核企业的清单")
    services.procurement_item_add(plist=plist, by=user, name="水泥", quantity=Decimal("5"))
    with pytest.raises(ValidationError) as info:
        services.procurement_list_publish(plist=plist, by=user)
    assert info.value.code == "unverified"
    with pytest.raises(PermissionDenied):
        services.procurement_list_update(plist=plist, by=UserFactory(), title="改名")


def test_illegal_transitions_are_refused_with_a_reason(buyer):
    user, org = buyer
    plist = _published(user, org)
    services.procurement_list_cancel(plist=plist, by=user)
    for action in (services.procurement_list_publish, services.procurement_list_close):
        with pytest.raises(ValidationError) as info:
            action(plist=plist, by=user)
        assert info.value.code == "invalid_transition"
    with pytest.raises(ValidationError):
        services.procurement_item_add(plist=plist, by=user, name="再加一行")


def test_an_empty_list_cannot_be_published(buyer):
    user, org = buyer
    plist = services.procurement_list_create(buyer=org, by=user, title="空清单")
    with pytest.raises(ValidationError) as info:
        services.procurement_list_publish(plist=plist, by=user)
    assert info.value.code == "empty"


def test_a_line_without_a_category_is_classified_from_its_text(buyer):
    user, org = buyer
    plist = services.procurement_list_create(buyer=org, by=user, title="分类")
    line = services.procurement_item_add(
        plist=plist, by=user, name="交联电缆", specs="YJV22 8.7/15kV 3×240"
    )
    assert line.category.name_zh == "电力电缆"
    assert line.category_inferred
