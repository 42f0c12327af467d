"""Settings, read from the environment (django-environ).

The embedded default needs nothing installed: SQLite and private uploads under
``var/``, and Celery on kombu's filesystem transport under ``var/celery/``.
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to Redis.
``DJANGO_ENV=production`` refuses to start without a real secret key, allowed
hosts and a database URL, and turns on every ``check --deploy`` protection.
See the configuration table in README.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from compliance import carriers as _carriers
from compliance.evidence import FOUR_EYES_CASES

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (never committed) may hold a developer's overrides.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

VAR_DIR = BASE_DIR / env.str("VAR_DIR", default="var")  # relative paths are taken from the checkout
PRIVATE_STORAGE_ROOT = VAR_DIR / env.str("PRIVATE_STORAGE_ROOT", default="private")
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)  # whitenoise looks for STATIC_ROOT even when it serves from the finders

# Only ever used outside production; production refuses it below.
DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if PRODUCTION:
    problems = []
    if SECRET_KEY == DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the portal's host names")
    if not env.str("DATABASE_URL", default=""):
        problems.append("DATABASE_URL must point at the production database")
    if DEBUG:
        problems.append("DEBUG must be off")
    if env.str("EMAIL_URL", default="consolemail://").split(":", 1)[0] not in ("smtp", "smtps", "smtp+tls", "smtp+ssl"):
        problems.append("EMAIL_URL must name an SMTP server (invitations and password resets are real emails)")
    if not env.str("PORTAL_BASE_URL", default="").startswith("https://"):
        problems.append("PORTAL_BASE_URL must be the portal's https:// address (links in emails use it)")
    if not env.str("REDIS_URL", default=""):
        problems.append("REDIS_URL must point at the Celery broker (the filesystem broker is for one machine)")
    if problems:
        raise ImproperlyConfigured("DJANGO_ENV=production: " + "; ".join(problems) + ".")

INSTALLED_APPS = [
    "filing_portal.admin_apps.PortalAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "accounts",
    "qualifications",
    "policies",
    "signatures",
    "templates_app",
    "review",
    "filings",
    "sending",
    "desk",
    "notices",
    "announcements",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "filing_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every response gets the Content-Security-Policy below, unless its view set its own (document files).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in person's pages are never cached (names, e-mails, filings): no-store, private.
    "filing_portal.middleware.PrivatePagesMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

# The N+1 detector (django-zeal), for the tests only: pyproject.toml's pytest-env turns it on, nothing else does.
# Installed, it watches the ORM's lazy loads; it raises (NPlusOneError) only inside zeal_context(), which
# tests/test_list_queries.py puts around every list page, admin queue and API list it loads.
N_PLUS_ONE_DETECTOR = env.bool("N_PLUS_ONE_DETECTOR", default=False) and not PRODUCTION
if N_PLUS_ONE_DETECTOR:
    INSTALLED_APPS.append("zeal")
    ZEAL_RAISE = True

ROOT_URLCONF = "filing_portal.urls"
WSGI_APPLICATION = "filing_portal.wsgi.application"
ASGI_APPLICATION = "filing_portal.asgi.application"

TEMPLATES = [
    # The portal's own pages: Jinja2 (filing_portal/jinja2.py says why), in jinja2/ and each app's jinja2/.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "filing_portal.jinja2.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.memberships",
            ],
        },
    },
    # The admin, the e-mails and the form widgets: Django's template language.
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
                "accounts.context_processors.memberships",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services open their own transaction
# Persistent connections: opening one costs PostgreSQL 5-10 ms, more than most pages take. Each is
# checked before a request reuses it (CONN_HEALTH_CHECKS), so a restarted database costs one error-free
# reconnect, not a failed request. CONN_MAX_AGE=0 restores one connection per request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker started by the tests sees it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
    # Wait for the worker's write lock rather than fail at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    # Take the write lock when a transaction begins (BEGIN IMMEDIATE). A transaction that reads then
    # writes would otherwise upgrade its read lock, and SQLite fails that at once with "database is
    # locked", without waiting for the timeout, when another transaction holds one (two uploads at once).
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login attempts: django-axes locks an email+address pair out after a few failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Django's login form names its field "username" even when it holds the email.
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Count failures per email whatever its case: the admin's log-in form does not lower-case it.
AXES_USERNAME_CALLABLE = "accounts.auth.lockout_username"
# Behind TRUSTED_PROXY_COUNT reverse proxies the client is read from X-Forwarded-For (django-ipware);
# with none, only REMOTE_ADDR counts, since the header is then the client's to forge.
# The count is of the proxies in front of gunicorn: 1 for deploy/'s nginx alone, which writes the address it
# sees as the whole header (X-Forwarded-For: client). django-ipware counts only the proxies listed in the header
# after the client (the last one is REMOTE_ADDR, not listed), hence one less. A header of any other length is
# refused (strict), and the lockout falls back to REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="SMS Filing Portal")

# Invitations: how long the signed link stays good.
INVITATION_MAX_AGE = timedelta(days=env.int("INVITATION_MAX_AGE_DAYS", default=7))

# Internationalisation: Chinese by default, English beside it.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files: our own plus the front-end packages npm installed (`make assets`),
# served by the portal itself through whitenoise; never a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {
        # Private: no MEDIA_URL route exists; files go out through permission-checked views.
        "BACKEND": "filing_portal.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT)},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production whitenoise serves straight from the finders, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Widgets through Jinja2 where Django has the template (filing_portal/renderers.py).
FORM_RENDERER = "filing_portal.renderers.PortalRenderer"

# Email: the console by default; EMAIL_URL=smtp+tls://user:pass@host:587 for real mail.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # a hung SMTP server must not hold a worker
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SMS Filing Portal <noreply@filing-portal.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_NAME = env.str("PORTAL_NAME", default="短信签名报备平台")
# Where emailed links point (the worker has no request to build them from). `make run PORT=8001`
# sets PORTAL_PORT for web, worker and beat alike, so the links follow the port the site is on.
PORTAL_PORT = env.int("PORTAL_PORT", default=8000)
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default=f"http://127.0.0.1:{PORTAL_PORT}")

# The cache every process shares: what pages read on each request yet staff change a few times a
# year (the policy timeline, the holiday table: policies/timeline.py), invalidated when they change.
# Redis when REDIS_URL is set (a database of its own: the broker's keys are never touched); files
# under var/cache otherwise, so web, worker and beat on one machine see the same entries.
# The prefix names the var/ folder: the tests (VAR_DIR=var/test) and their worker never share
# entries with a portal running on the same machine.
# A Redis that hangs (accepts, never answers) costs a request REDIS_SOCKET_TIMEOUT once, then the cache reads
# the database for a while (filing_portal/cache.py) and notices wait for the sweep (notices.services.nudge).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
_cache_prefix = f"portal:{VAR_DIR.name}"
if env.str("REDIS_URL", default=""):
    _cache_url = env.str("REDIS_URL").rstrip("/").rsplit("/", 1)
    CACHES = {
        "default": {
            "BACKEND": "filing_portal.cache.FailSoftRedisCache",
            "LOCATION": env.str("CACHE_URL", default=f"{_cache_url[0]}/{env.int('CACHE_REDIS_DB', default=1)}"),
            "KEY_PREFIX": _cache_prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": _cache_prefix,
        }
    }

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under
# var/celery, which needs no server yet is a real broker (worker and beat truly run).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DIR = VAR_DIR / "celery"
CELERY_DIR.mkdir(exist_ok=True)  # beat keeps its schedule here whatever the broker (a fresh VAR_DIR has none)
# A request that enqueues while Redis is down tries once more, at once, then gives up: its rows are the
# outbox and the beat sweep sends them later (docs/notices.md). Without this, kombu retries a publish for
# about 6 s, and the customer waits.
# socket_connect_timeout: a Redis that drops packets rather than refusing fails as fast. socket_timeout: one
# that accepts and never answers (a failover, a full disk, a firewall) fails a publish after it instead of
# holding the request forever; the worker's BRPOP is read only once Redis has answered (kombu's event loop),
# so it does not cut the worker's waits.
REDIS_FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
                   "socket_connect_timeout": 1, "socket_timeout": REDIS_SOCKET_TIMEOUT}  # fmt: skip
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **REDIS_FAIL_FAST}
    CELERY_RESULT_BACKEND = None
else:
    CELERY_BROKER_URL = "filesystem://localhost//"  # the host is ignored; naming it silences a kombu warning
    for folder in ("queue", "control"):
        (CELERY_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "control_folder": str(CELERY_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DIR / "beat-schedule")
# Static schedule. Every entry expires before its next run, so a backlog never piles up.
CELERY_BEAT_SCHEDULE = {
    "sweep-unsent-invitations": {
        "task": "accounts.tasks.sweep_unsent_invitations",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 4 * 60},
    },
    "sweep-missing-thumbnails": {
        "task": "qualifications.tasks.sweep_missing_thumbnails",
        "schedule": timedelta(minutes=10),
        "options": {"expires": 9 * 60},
    },
    "release-idle-claims": {
        "task": "review.tasks.release_idle_claims",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 14 * 60},
    },
    "refresh-blockers": {  # letters, trademarks and ID cards expire with time
        "task": "review.tasks.refresh_blockers",
        "schedule": timedelta(hours=24),
        "options": {"expires": 23 * 60 * 60},
    },
    "notices-sweep": {  # the outbox: events not yet dispatched, deliveries due or stuck
        "task": "notices.tasks.sweep",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "policy-impact-sweep": {  # the rule-change run: chunks whose worker died, lost messages, stopped finalisers
        "task": "announcements.tasks.sweep",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "policy-reminders": {  # reminders before a rule change's deadline (POLICY_REMINDER_DAYS)
        "task": "announcements.tasks.send_reminders",
        "schedule": timedelta(hours=1),
        "options": {"expires": 50 * 60},
    },
    "purge-idempotent-requests": {  # the API's answers kept for Idempotency-Key retries, after a day
        "task": "api.tasks.purge_idempotent_requests",
        "schedule": timedelta(hours=1),
        "options": {"expires": 50 * 60},
    },
    "purge-id-images": {
        "task": "qualifications.tasks.purge_id_images",
        "schedule": timedelta(hours=6),
        "options": {"expires": 5 * 60 * 60},
    },
    # Each morning, after the gateway's statistics of the day before are in: inactive signatures and
    # carrier failure spikes, filings past their window, documents about to expire (docs/notices.md).
    "daily-activity-run": {
        "task": "sending.tasks.daily_activity_run",
        "schedule": crontab(hour=7, minute=30),
        "options": {"expires": 12 * 60 * 60},
    },
}

# Review (docs/review.md): where approval needs a second, different reviewer (compliance.evidence:
# "partner", "special_industry"; empty: nowhere), and the review target in working days.
REVIEW_FOUR_EYES = tuple(env.list("REVIEW_FOUR_EYES", default=["partner", "special_industry"]))
if set(REVIEW_FOUR_EYES) - set(FOUR_EYES_CASES):  # a typo would turn four-eyes off without a word
    raise ImproperlyConfigured(
        f"REVIEW_FOUR_EYES: unknown {sorted(set(REVIEW_FOUR_EYES) - set(FOUR_EYES_CASES))}; known: {FOUR_EYES_CASES}."
    )
REVIEW_TARGET_WORKING_DAYS = env.int("REVIEW_TARGET_WORKING_DAYS", default=1)
# A claim nobody acted on for this long goes back to the queue (the beat task release-idle-claims).
REVIEW_CLAIM_IDLE_HOURS = env.int("REVIEW_CLAIM_IDLE_HOURS", default=4)

# The rule-change run (docs/notices.md, "The rule-change run"): live items per chunk a worker claims; how long
# a claim lasts before the sweep takes its worker for dead (the chunk task's hard limit is 3 minutes); the
# days before a change's deadline on which organizations that have not acknowledged are reminded.
POLICY_IMPACT_CHUNK_SIZE = env.int("POLICY_IMPACT_CHUNK_SIZE", default=1000)
POLICY_IMPACT_CLAIM_TIMEOUT = env.int("POLICY_IMPACT_CLAIM_TIMEOUT", default=5 * 60)
# The queue the run's chunks and finaliser go to: the default one, or one of their own so that a large run
# never holds up the e-mails (start workers for it with `celery -A filing_portal worker -Q <name>`).
POLICY_IMPACT_QUEUE = env.str("POLICY_IMPACT_QUEUE", default="celery")
POLICY_REMINDER_DAYS = tuple(env.list("POLICY_REMINDER_DAYS", cast=int, default=[7, 1]))
if POLICY_IMPACT_CLAIM_TIMEOUT <= 180 or any(days < 0 for days in POLICY_REMINDER_DAYS):
    raise ImproperlyConfigured(
        "POLICY_IMPACT_CLAIM_TIMEOUT must exceed the chunk task's hard limit (180 s); POLICY_REMINDER_DAYS are "
        "days before a deadline (0 or more)."
    )

# Carrier batches (docs/filings.md): the carriers whose channel needs the legal representative's full ID
# number in the batch file (each number written is logged as a reveal; elsewhere it is masked), and the
# largest results file the clerk may import (refused before anything is stored).
CARRIER_BATCH_FULL_ID_NUMBERS = tuple(env.list("CARRIER_BATCH_FULL_ID_NUMBERS", default=[]))
if set(CARRIER_BATCH_FULL_ID_NUMBERS) - set(_carriers.CODES):  # a typo would mask numbers a channel needs, unnoticed
    raise ImproperlyConfigured(
        f"CARRIER_BATCH_FULL_ID_NUMBERS: unknown {sorted(set(CARRIER_BATCH_FULL_ID_NUMBERS) - set(_carriers.CODES))}; "
        f"known: {_carriers.CODES}."
    )
# Webhooks (docs/notices.md) go to public https:// addresses; loopback (and plain http there) only where
# this is on: development and the test suite, whose receivers run on this machine.
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=not PRODUCTION)
# Whether a new history row or delivery nudges a worker at once (off: the beat sweep alone sends them,
# within a minute). The test suite turns it off where no worker of the test's own runs, so a worker left
# from another test never writes into tables a test is emptying.
NOTICES_NUDGE = env.bool("NOTICES_NUDGE", default=True)
CARRIER_BATCH_MAX_BYTES = env.int("CARRIER_BATCH_MAX_BYTES", default=5 * 1024 * 1024)

# The REST API (docs/api.md): JSON only, problem+json errors, keys or the session, rate limits per key and per
# address (DRF's throttles on the shared cache), the OpenAPI schema by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],  # each view names its own (api.base.OrgView)
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "UNICODE_JSON": True,
    "COERCE_DECIMAL_TO_STRING": False,
}
# Rates as DRF writes them ("600/min"); empty turns a limit off (the test suite, except the tests of the limits).
API_RATE_PER_KEY = env.str("API_RATE_PER_KEY", default="600/min")
API_RATE_PER_ADDRESS = env.str("API_RATE_PER_ADDRESS", default="1200/min")
API_MAX_JSON_BYTES = env.int("API_MAX_JSON_BYTES", default=256 * 1024)  # a JSON body; uploads: UPLOAD_MAX_BYTES
SPECTACULAR_SETTINGS = {
    "TITLE": "SMS Filing Portal API · 短信签名报备平台 API",
    "DESCRIPTION": (
        "Entities and their documents, signatures and templates, their checks and filings, notices, sending "
        "statistics and webhooks, for one organization. Authenticate with an API key (`Authorization: Bearer "
        "sfp_…`). Errors are RFC 9457 problem details with a stable `code`. See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("kind", "status", "carrier", "source") get a name each, not a hash (and
    # no warning of two names for one set).
    "ENUM_NAME_OVERRIDES": {
        "CarrierEnum": "compliance.carriers.CODES",
        "SignatureSourceEnum": "signatures.models.Signature.Source",
        "ApplicationStatusEnum": "filing_portal.workflow.ApplicationStatus",
        "TemplateKindEnum": "templates_app.models.SmsTemplate.Kind",
        "FilingStateEnum": "filings.models.FilingStatus",
        "CarrierStateEnum": "filings.api_common.CARRIER_STATES",
        "EntityKindEnum": "qualifications.models.Entity.Kind",
        "EntityStatusEnum": "qualifications.models.Entity.Status",
        "IdTypeEnum": "qualifications.models.Entity.IdType",
        "DocumentKindEnum": "qualifications.models.Document.Kind",
        "DocumentReviewStateEnum": "qualifications.models.Document.ReviewState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.problem_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Security. Always on: the cheap headers. Production: HTTPS everywhere.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy on every page (django-csp 4): scripts and styles only from our own
# files, so an injected <script>, on*= attribute or style="" does nothing. Pages keep their
# JavaScript in static/js/portal.js and their looks in static/css/portal.css; the file responses
# (qualifications.views.document_file) set a stricter policy of their own, which the middleware
# leaves alone. tests/test_security_headers.py walks every page against it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # The 500 page carries its own <style> (it must render when nothing else does): its hash.
        "style-src": [SELF, "'sha256-vXqfkuck4CB57GTlPIdnrHTpfOXCEv0uIuV+1EUIG7k='"],
        # data: for Bootstrap's inline SVG icons, blob: for the upload previews (createObjectURL).
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Qualification documents -------------------------------------------------------------
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Behind nginx (deploy/nginx/filing-portal.conf): the URI prefix of its `internal` location over
# PRIVATE_STORAGE_ROOT, e.g. "/protected/". The document door (qualifications.views.document_response) then checks
# permission, logs the access and answers with X-Accel-Redirect, and nginx sends the bytes. Only files stored as
# they are served (the stored copy, watermarked for ID images, and the thumbnail) on the local filesystem: the
# encrypted ID original is decrypted and streamed by Django, and S3 storage is always streamed. Empty: off.
DOCUMENT_ACCEL_REDIRECT = env.str("DOCUMENT_ACCEL_REDIRECT", default="")
if DOCUMENT_ACCEL_REDIRECT and not (DOCUMENT_ACCEL_REDIRECT.startswith("/") and DOCUMENT_ACCEL_REDIRECT.endswith("/")):
    raise ImproperlyConfigured("DOCUMENT_ACCEL_REDIRECT must be a URI prefix such as /protected/ (or empty).")
# A 12-megapixel phone photo is 12e6; 40e6 leaves room for scans and refuses bombs early.
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
PDF_MAX_PAGES = env.int("PDF_MAX_PAGES", default=20)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A file past UPLOAD_MAX_BYTES stops the reading of the request (qualifications.uploads): never spooled whole.
FILE_UPLOAD_HANDLERS = [
    "qualifications.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Watermark on ID images (a CJK font: Debian's fonts-wqy-microhei, installed by `make`).
WATERMARK_FONT = env.str("WATERMARK_FONT", default="")
WATERMARK_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]
# AES-256-GCM keys for unwatermarked ID images: "id:base64,id:base64"; DOCUMENT_KEY_ID picks the current one.
_DOCUMENT_KEYS_RAW = env.str("DOCUMENT_KEYS", default="")
if _DOCUMENT_KEYS_RAW:
    import base64 as _b64
    import binascii as _binascii

    DOCUMENT_KEYS = {}
    for _item in _DOCUMENT_KEYS_RAW.split(","):
        _kid, _sep, _value = _item.strip().partition(":")
        if not _sep or not _kid or len(_kid) > 32 or _kid in DOCUMENT_KEYS:
            raise ImproperlyConfigured(
                "DOCUMENT_KEYS: each entry is id:base64-key, ids unique and at most 32 characters."
            )
        try:
            DOCUMENT_KEYS[_kid] = _b64.b64decode(_value, validate=True)
        except _binascii.Error as _exc:
            raise ImproperlyConfigured(f"DOCUMENT_KEYS: the key {_kid!r} is not valid base64.") from _exc
    DOCUMENT_KEY_ID = env.str("DOCUMENT_KEY_ID", default=next(iter(DOCUMENT_KEYS)))
elif PRODUCTION:
    raise ImproperlyConfigured("DJANGO_ENV=production: DOCUMENT_KEYS must hold the ID-image encryption key(s).")
else:
    import hashlib as _hashlib

    # Development only: a key derived from the development secret, so `make run` needs no setup.
    DOCUMENT_KEYS = {"dev": _hashlib.sha256(("document-key:" + SECRET_KEY).encode()).digest()}
    DOCUMENT_KEY_ID = "dev"
if any(len(key) != 32 for key in DOCUMENT_KEYS.values()) or DOCUMENT_KEY_ID not in DOCUMENT_KEYS:
    raise ImproperlyConfigured("DOCUMENT_KEYS must be 32-byte keys (base64) and include DOCUMENT_KEY_ID.")
# ID images of closed or rejected entities are purged this many days after closing.
ID_IMAGE_RETENTION_DAYS = env.int("ID_IMAGE_RETENTION_DAYS", default=180)
ID_CONSENT_NOTICE_VERSION = "2026-11-v1"

# S3-compatible object storage for documents when configured (django-storages, boto3): Aliyun OSS, MinIO, AWS S3.
# Every file stays private: a private ACL on each object and signed URLs only, which the portal never hands out
# (files go out through the document door, streamed by Django). OSS wants virtual-hosted addressing; MinIO and
# moto on one address want path-style. boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself.
# tests/test_production_shape.py runs the portal against a bucket served by moto.
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="auto")
    if AWS_S3_ADDRESSING_STYLE not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured("AWS_S3_ADDRESSING_STYLE must be auto, path or virtual.")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "addressing_style": AWS_S3_ADDRESSING_STYLE,
            "signature_version": env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
        },
    }
