"""Settings for Zhongfu. Everything a deployment changes comes from the environment."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.contrib.messages import constants as message_constants

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("ZHONGFU_HOME", PACKAGE_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("ZHONGFU_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _persistent_secret(name: str) -> str:
    """A secret from the environment, else one generated once and kept under var/ (demo machines)."""
    value = os.environ.get(name)
    if value:
        return value
    path = VAR_DIR / f".{name.lower()}"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _persistent_secret("ZHONGFU_SECRET_KEY")
# Separate keys for personal data: one encrypts ID numbers and phones, one makes the lookup hash.
ZHONGFU_DATA_KEY = _persistent_secret("ZHONGFU_DATA_KEY")
ZHONGFU_LOOKUP_KEY = _persistent_secret("ZHONGFU_LOOKUP_KEY")

DEBUG = os.environ.get("ZHONGFU_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ZHONGFU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [f"http://{h}:8000" for h in ALLOWED_HOSTS if h != "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "zhongfu.common",
    "zhongfu.regions",
    "zhongfu.accounts",
    "zhongfu.audit",
    "zhongfu.registry",
    "zhongfu.policies",
    "zhongfu.screening",
    "zhongfu.workdays",
    "zhongfu.casework",
    "zhongfu.visits",
    "zhongfu.payments",
    "zhongfu.notifications",
    "zhongfu.enrolment",
    "zhongfu.funds",
    "zhongfu.feeds",
    "zhongfu.monitoring",
    "zhongfu.disclosure",
    "zhongfu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhongfu.common.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhongfu.urls"
WSGI_APPLICATION = "zhongfu.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zhongfu.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"  # accounts.views.home sends each role to what it works with
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhongfu.common.context_processors.menu",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhongfu.sqlite3'}"),
        # Connections are kept between requests: opening one costs more than a household's screening
        # (about 1.5 ms on SQLite with its PRAGMAs, more on PostgreSQL).
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Django's cursors bind parameters on the client and never prepare; this lets the few statements that ask
    # for it (common.pg.pipelined, an online gift's hot path) be prepared once per connection. Behind a
    # transaction-pooling proxy set it to None: they then run unprepared.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the worker and the web server read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ZHONGFU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (home-survey attachments). Not served publicly: casework serves them after a scope check.
MEDIA_ROOT = VAR_DIR / "media"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end assets come from the npm registry at set-up and are served from here, never from a CDN.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest spreadsheet accepted by the household import, in bytes.
ZHONGFU_IMPORT_MAX_BYTES = int(os.environ.get("ZHONGFU_IMPORT_MAX_BYTES", 20 * 1024 * 1024))
# The city this installation serves (GB/T 2260 prefix); the demo and region tree use it.
ZHONGFU_CITY_CODE = os.environ.get("ZHONGFU_CITY_CODE", "330100")

# Bootstrap names the error style "danger".
MESSAGE_TAGS = {message_constants.ERROR: "danger"}

EMAIL_BACKEND = os.environ.get("ZHONGFU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# The address printed in household codes (幸福码), e.g. https://zf.example.gov.cn; empty: the request's host.
ZHONGFU_PUBLIC_URL = os.environ.get("ZHONGFU_PUBLIC_URL", "")
# Secret of the payment providers' callback signatures (HMAC-SHA256); empty: derived from SECRET_KEY.
ZHONGFU_PAY_SECRET = os.environ.get("ZHONGFU_PAY_SECRET", "")
# How verification codes reach a household head's phone: a dotted path to a sender class. The default
# keeps messages in the outbox table (shown to the city administrator), for demos and tests.
ZHONGFU_SMS_BACKEND = os.environ.get("ZHONGFU_SMS_BACKEND", "zhongfu.disclosure.sms.OutboxSender")
