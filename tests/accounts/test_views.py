import pytest
from django.core import mail

from accounts import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "成都都市圈供需对接平台" in response.content.decode()


def test_the_language_switcher_changes_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()
    assert "Chengdu metropolitan area supply–demand platform" in response.content.decode()


def test_a_verified_user_signs_in_and_out(client):
    UserFactory(email="li@example.com")
    response = client.post(
        "/accounts/login/", {"username": "LI@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].email == "li@example.com"
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_an_unverified_user_is_told_to_verify_first(client):
    UserFactory(email="new@example.com", email_verified_at=None)
    response = client.post(
        "/accounts/login/", {"username": "new@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert "请先验证邮箱" in response.content.decode()


def test_a_wrong_password_gets_a_clear_message(client):
    UserFactory(email="li@example.com")
    response = client.post("/accounts/login/", {"username": "li@example.com", "password": "nope"})
    assert "邮箱或密码错误" in response.content.decode()


def test_the_registration_page_shows_field_errors(client):
    response = client.post(
        "/accounts/register/", {"email": "x@example.com", "password": "123", "language": "zh-hans"}
    )
    assert response.status_code == 400
    assert "密码" in response.content.decode()


def test_the_verification_link_verifies_and_a_bad_one_is_a_400(client):
    user = UserFactory(email_verified_at=None)
    token = services.user_email_verification_token(user=user)
    response = client.get(f"/accounts/verify/{token}/")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_email_verified
    assert client.get("/accounts/verify/garbage/").status_code == 400


def test_password_reset_sends_a_link_that_works(client):
    UserFactory(email="reset@example.com")
    client.post("/accounts/password-reset/", {"email": "reset@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver")[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "新密码-2026-long", "new_password2": "新密码-2026-long"},
    )
    assert response.status_code == 302
    assert client.login(username="reset@example.com", password="新密码-2026-long")


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}
