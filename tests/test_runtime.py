"""Process-level pieces of ``config``: the ``__any_of`` lookup and the workers' collector."""

from __future__ import annotations

import gc

import pytest
from celery.signals import worker_process_init
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from config import lookups  # noqa: F401 - registers __any_of
from config.celery import GC_THRESHOLDS
from notifications.models import Watch
from tests.factories import OrganizationFactory


@pytest.mark.django_db
def test_any_of_finds_what_in_finds_with_one_parameter():
    orgs = [OrganizationFactory() for _ in range(5)]
    wanted = [orgs[0].pk, orgs[3].pk, orgs[4].pk, 10**9]
    with CaptureQueriesContext(connection) as queries:
        found = sorted(Organization.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
    assert found == sorted(Organization.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == sorted(wanted[:3])
    assert "= ANY(" in queries[0]["sql"] and " IN (" not in queries[0]["sql"]
    # A relation and a text column; an empty list finds nothing (and is a valid statement).
    assert list(Watch.objects.filter(organization_id__any_of=[])) == []
    assert not Watch.objects.filter(organization__any_of=wanted).exists()
    names = [orgs[1].name, orgs[2].name]
    assert set(Organization.objects.filter(name__any_of=names)) == {orgs[1], orgs[2]}
    assert not Organization.objects.filter(name__any_of=[]).exists()


def test_a_worker_process_collects_with_the_tuned_thresholds():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        worker_process_init.send(sender=None)
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
