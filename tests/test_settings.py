"""The settings fail early and clearly, and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_secret_key_in_production_is_a_clear_message_not_a_traceback():
    result = _manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="duijie.example.cn",
    )
    assert result.returncode == 2
    assert "DJANGO_SECRET_KEY 未设置" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_database_url_names_the_fix():
    result = _manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="true",
        DATABASE_URL="",
        DUIJIE_STATE_DIR="/nonexistent",
    )
    assert result.returncode == 2
    assert "make demo" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-production-secret-kY8#pQ2$wZ7!nR4&vT9*mL3^xB6@jH1%",
        DJANGO_ALLOWED_HOSTS="duijie.example.cn",
        SITE_URL="https://duijie.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_language_and_time_settings(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_celery_is_configured_for_safe_redelivery(settings):
    from config.celery import app

    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > app.conf.task_time_limit + settings.CELERY_MAX_COUNTDOWN
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def _po_entries(path: Path) -> dict[str, tuple[str, str | None]]:
    """msgid → (msgstr, msgid_plural) of a .po file (zh_Hans has one plural form)."""
    import ast

    entries: dict[str, tuple[str, str | None]] = {}
    key = None
    current: dict[str, str] = {}
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[0] ")):
            key, _, literal = line.partition(" ")
            key = key.removesuffix("[0]")
            current[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            if current.get("msgid"):
                entries[current["msgid"]] = (current.get("msgstr", ""), current.get("msgid_plural"))
            current, key = {}, None
    return entries


def test_the_chinese_catalogue_is_complete_and_its_compiled_file_is_current():
    import gettext

    folder = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
    assert "#, fuzzy" not in (folder / "django.po").read_text(encoding="utf-8")
    entries = _po_entries(folder / "django.po")
    assert len(entries) > 100
    assert [msgid for msgid, (msgstr, _plural) in entries.items() if not msgstr] == []
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, (msgstr, plural) in entries.items()
        if (compiled.ngettext(msgid, plural, 1) if plural else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], "run `make messages` to recompile django.mo"
