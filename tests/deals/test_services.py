"""The services' guarantees beyond the API: one transaction per step, an append-only trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals import services
from deals.models import AuditEvent, Interest
from deals.signals import transition

pytestmark = pytest.mark.django_db


def test_a_failing_receiver_rolls_the_step_back(world):
    """The signal is sent inside the step's transaction: an outbox write failing undoes it."""

    def broken_outbox(sender, event, **kwargs):
        raise RuntimeError("outbox down")

    transition.connect(broken_outbox)
    try:
        with pytest.raises(RuntimeError):
            services.interest_express(match=world.match, by=world.supplier_user, message="有意")
    finally:
        transition.disconnect(broken_outbox)
    assert not Interest.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_audit_trail_is_append_only(world):
    interest = services.interest_express(match=world.match, by=world.supplier_user)
    event = AuditEvent.objects.get(interest=interest)
    event.data = {"forged": True}
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).data != {"forged": True}


def test_viewed_is_recorded_once_and_only_for_the_supplier(world, operator):
    assert services.match_mark_viewed(match=world.match, by=world.buyer_user) is None
    assert services.match_mark_viewed(match=world.match, by=operator) is None
    assert services.match_mark_viewed(match=world.match, by=world.supplier_user) is not None
    with CaptureQueriesContext(connection) as queries:
        assert services.match_mark_viewed(match=world.match, by=world.supplier_user) is None
    assert len(queries) <= 3
    assert AuditEvent.objects.filter(verb="viewed").count() == 1
