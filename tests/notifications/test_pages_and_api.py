"""The in-app inbox, preferences, watches and one-click unsubscribe, over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from notifications import delivery
from notifications.models import (
    Frequency,
    Kind,
    MatchFeedback,
    Notification,
    Preference,
    Suppression,
)
from tests.factories import UserFactory

from .conftest import World, cable_world

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_inbox_api_lists_counts_and_marks_read(world: World) -> None:
    world.match()
    api = _api(world.seller)
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    rows = api.get("/api/v1/notifications/").json()["results"]
    assert [r["kind"] for r in rows] == ["new_match"]
    assert "交联聚乙烯绝缘电力电缆" in rows[0]["headline"]
    assert api.post(f"/api/v1/notifications/{rows[0]['id']}/read/").json() == {"marked": 1}
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_someone_elses_notification_is_a_404(world: World) -> None:
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    stranger = _api(UserFactory())
    assert stranger.get(f"/api/v1/notifications/{row.pk}/").status_code == 404
    assert stranger.post(f"/api/v1/notifications/{row.pk}/read/").status_code == 404
    assert stranger.post("/api/v1/notifications/read-all/", {}, format="json").json() == {
        "marked": 0
    }
    assert Notification.objects.get(pk=row.pk).read_at is None


def test_preferences_api_reads_defaults_and_rejects_nonsense(world: World) -> None:
    api = _api(world.seller)
    prefs = api.get("/api/v1/me/notification-preferences/").json()
    assert prefs["new_match"] == "instant" and prefs["interest"] == "daily"
    bad = api.put("/api/v1/me/notification-preferences/", {"new_match": "hourly"}, format="json")
    assert bad.status_code == 400 and "new_match" in bad.json()
    ok = api.put("/api/v1/me/notification-preferences/", {"new_match": "weekly"}, format="json")
    assert ok.status_code == 200 and ok.json()["new_match"] == "weekly"


def test_watches_api_is_scoped_and_validated(world: World) -> None:
    api = _api(world.seller)
    bad = api.post(
        "/api/v1/watches/",
        {"organization": world.supplier.pk, "name": "x", "categories": ["NOPE"]},
        format="json",
    )
    assert bad.status_code == 400 and "categories" in bad.json()
    foreign = api.post(
        "/api/v1/watches/",
        {"organization": world.buyer.pk, "name": "x", "keywords": ["电缆"]},
        format="json",
    )
    assert foreign.status_code == 400 and "organization" in foreign.json()
    ok = api.post(
        "/api/v1/watches/",
        {"organization": world.supplier.pk, "name": "电缆大单", "keywords": ["电缆"]},
        format="json",
    )
    assert ok.status_code == 201, ok.json()
    assert _api(world.purchaser).get("/api/v1/watches/").json()["results"] == []
    watch_id = ok.json()["id"]
    assert _api(world.purchaser).delete(f"/api/v1/watches/{watch_id}/").status_code == 404


def test_unsubscribe_get_only_asks_and_post_works_without_cookies(world: World) -> None:
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    url = reverse("notifications:unsubscribe", args=[delivery.unsubscribe_token(row)])
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(url)
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert not Preference.objects.filter(user=world.seller).exists()
    for _ in range(2):  # idempotent
        done = anonymous.post(
            url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert done.status_code == 200
    assert Preference.objects.get(user=world.seller, kind=Kind.NEW_MATCH).frequency == Frequency.OFF


def test_unsubscribing_a_contact_address_suppresses_it(db: None) -> None:
    world = cable_world(with_members=False)
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    url = reverse("notifications:unsubscribe", args=[delivery.unsubscribe_token(row)])
    assert Client(enforce_csrf_checks=True).post(url).status_code == 200
    assert Suppression.objects.filter(email=world.supplier.contact_email, kind="new_match").exists()
    Notification.objects.all().delete()
    world.match()
    assert not Notification.objects.filter(kind=Kind.NEW_MATCH).exists()


def test_a_forged_unsubscribe_token_is_refused(world: World) -> None:
    response = Client().post(reverse("notifications:unsubscribe", args=["forged:token"]))
    assert response.status_code == 400


def test_not_relevant_from_the_email_link(world: World) -> None:
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    url = reverse("notifications:not-relevant", args=[delivery.not_relevant_token(row)])
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200
    assert not MatchFeedback.objects.exists()
    assert client.post(url).status_code == 200
    assert MatchFeedback.objects.get().organization == world.supplier


def test_inbox_page_detail_marks_read(world: World, client: Client) -> None:
    world.match()
    client.force_login(world.seller)
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200 and "交联聚乙烯绝缘电力电缆" in page.content.decode()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    detail = client.get(reverse("notifications:detail", args=[row.pk]))
    assert detail.status_code == 200 and "90万元" in detail.content.decode()
    row.refresh_from_db()
    assert row.read_at is not None
    client.force_login(world.purchaser)
    assert client.get(reverse("notifications:detail", args=[row.pk])).status_code == 404


def test_inbox_page_has_an_empty_state_and_needs_login(client: Client, db: None) -> None:
    assert client.get(reverse("notifications:inbox")).status_code == 302
    client.force_login(UserFactory())
    assert "暂无通知" in client.get(reverse("notifications:inbox")).content.decode()


def test_inbox_page_query_count_is_bounded(
    world: World, client: Client, django_assert_max_num_queries
) -> None:
    world.match()
    for n in range(15):
        cable_world(supplier_name=f"电缆厂{n}").match()
    client.force_login(world.seller)
    assert Notification.objects.filter(user=world.seller).count() > 10
    with django_assert_max_num_queries(12):
        assert client.get(reverse("notifications:inbox")).status_code == 200


def test_preferences_and_watches_pages(world: World, client: Client) -> None:
    client.force_login(world.seller)
    assert client.get(reverse("notifications:preferences")).status_code == 200
    data = {k: "instant" for k in ["new_match", "list_summary", "interest", "update", "workflow"]}
    data["interest"] = "off"
    assert client.post(reverse("notifications:preferences"), data).status_code == 302
    assert Preference.objects.get(user=world.seller, kind="interest").frequency == "off"
    bad = client.post(
        reverse("notifications:watches"),
        {"organization": world.supplier.pk, "name": "", "mode": "add"},
    )
    assert bad.status_code == 200 and "error" in bad.content.decode()
    ok = client.post(
        reverse("notifications:watches"),
        {"organization": world.supplier.pk, "name": "德阳", "mode": "add", "regions": "510600"},
    )
    assert ok.status_code == 302
    assert "德阳" in client.get(reverse("notifications:watches")).content.decode()


def test_a_huge_minimum_budget_is_a_form_error_not_a_500(world: World, client: Client) -> None:
    client.force_login(world.seller)
    response = client.post(
        reverse("notifications:watches"),
        {"organization": world.supplier.pk, "name": "大单", "mode": "add", "min_budget": "1e20"},
    )
    assert response.status_code == 200 and "error" in response.content.decode()


def test_one_click_unsubscribe_also_stops_emails_still_waiting(world: World) -> None:
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    assert row.status == Notification.Status.PENDING
    url = reverse("notifications:unsubscribe", args=[delivery.unsubscribe_token(row)])
    assert Client(enforce_csrf_checks=True).post(url).status_code == 200
    row.refresh_from_db()
    assert row.status == Notification.Status.SKIPPED
