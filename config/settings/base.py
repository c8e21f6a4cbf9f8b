"""Settings shared by every environment, read from environment variables.

Every knob an operator may turn is an environment variable (optionally from a
`.env` file at the repository root); README.md lists them all. The defaults
are the embedded default: SQLite, in-process cache, one process.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE

from config.logs import logging_config

from .environment import BASE_DIR, env

# The fallback key only ever serves the embedded default on loopback;
# production.py refuses to start without a real one.
# Committed in this repository, so known to everyone: good for the embedded
# default on a laptop, refused by config.settings.production.
DEVELOPMENT_SECRET_KEY = "insecure-embedded-default-key-change-me-0123456789"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "audit",
    "csp",
    "registrants",
    "dashboard",
    "live",
    "gateway",
    "imports",
    "badges",
    "mail",
    "signup",
    "webhooks",
]

MIDDLEWARE = [
    # /healthz and /readyz, before the host check and the HTTPS redirect
    # (probes name the node by IP, over plain HTTP): config/health.py.
    "config.health.HealthMiddleware",
    # X-Request-ID and one log line per request (config/request_log.py).
    "config.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "registrants.api.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The pages of one event show its times in its time zone.
    "dashboard.event_time.EventTimeZoneMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% url %} remembers what it reversed (dashboard/templatetags/remembered_urls.py).
            "builtins": ["dashboard.templatetags.remembered_urls"],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite by default; PostgreSQL when DATABASE_URL points at it.
# ATOMIC_REQUESTS stays off: every write goes through a service function that
# owns its transaction, because services also run from commands and jobs
# (docs/decisions/0001-transactions-in-services.md).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write
    # lock at BEGIN so that two writers queue on the busy timeout instead of
    # failing with "database is locked" when one upgrades its read lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
    # PostgreSQL's JIT compiles any plan whose estimate passes jit_above_cost:
    # the counters' read (3 ms) paid 30 ms of compiling at a million
    # registrants. Every statement here is short (docs/decisions/0230).
    if not env.bool("DB_JIT", default=False):
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------
# The cache holds the scan throttle counters and the token -> user lookups.
# In-process by default (one process); Redis when REDIS_URL is set, so that
# several processes share one throttle and one view of revoked tokens.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Live updates (websockets) ------------------------------------------------
# In-process by default (one process serves every socket); Redis pub/sub when
# REDIS_URL is set, so that several processes reach each other's listeners.
# Pub/sub publishes once per group and lets each process fan out locally,
# rather than one Redis list push per listener (docs/decisions/0005-live-updates.md).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background jobs (Celery) --------------------------------------------------
# Redis is the broker when REDIS_URL is set: start workers with
# `celery -A config.celery_app worker -l info`. Without it there is no broker;
# .delay() runs tasks eagerly and the web process runs imports in a background
# thread (docs/decisions/0006-import-jobs.md). Job state lives in the database,
# so no result backend is needed.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged message (its worker died) is delivered again after this.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-imports": {"task": "imports.requeue_stale", "schedule": 60.0},
    "requeue-stale-bulk-jobs": {"task": "registrants.requeue_stale_bulk_jobs", "schedule": 60.0},
    # Events' retention (registrants/retention.py): hourly is within an hour
    # of the day's end in every time zone; a run with nothing due reads a
    # handful of events.
    "erase-expired-registrants": {"task": "registrants.erase_expired", "schedule": 3600.0},
    # Messages left queued (a lost hand-over or retry): mail/dispatch.py.
    "mail-sweep": {"task": "mail.sweep", "schedule": 60.0},
    # Webhook deliveries that are due (first attempts and retries): webhooks/dispatch.py.
    "send-due-webhooks": {
        "task": "webhooks.send_due",
        "schedule": float(env.int("WEBHOOK_POLL_SECONDS", default=2)),
    },
    # Lapsed waitlist offers pass to the next person within a minute; the
    # waitlist page and API also do it whenever they are used.
    "process-waitlists": {"task": "registrants.process_waitlists", "schedule": 60.0},
}
# Uploads wait here for their job; every worker must see the same directory.
IMPORT_UPLOAD_DIR = env.str("IMPORT_UPLOAD_DIR", default=str(BASE_DIR / "var" / "imports"))
# A running job whose worker sent no heartbeat for this long is taken over.
IMPORT_STALE_SECONDS = env.int("IMPORT_STALE_SECONDS", default=300)
# What one import may hold (imports/limits.py); a file over a limit fails
# its job at once with a message naming the limit.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=100_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=50)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=10_000)
IMPORT_XLSX_MAX_UNPACKED_MB = env.int("IMPORT_XLSX_MAX_UNPACKED_MB", default=200)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)

# --- Door-scanner gateway (FastAPI, gateway/) -----------------------------------
# Served under /gateway/ by config.asgi, or alone: `uvicorn gateway.main:app`.
# Each process keeps an async pool of this many PostgreSQL connections.
GATEWAY_DB_POOL_MIN = env.int("GATEWAY_DB_POOL_MIN", default=2)
GATEWAY_DB_POOL_MAX = env.int("GATEWAY_DB_POOL_MAX", default=10)
GATEWAY_DB_POOL_TIMEOUT = env.float("GATEWAY_DB_POOL_TIMEOUT", default=10.0)
# On PostgreSQL, scans without a nonce that arrive while this many groups are
# being applied wait and go together as one statement, at most
# GATEWAY_SCAN_GROUP_MAX per group (gateway/grouping.py).
GATEWAY_SCAN_GROUPS_IN_FLIGHT = env.int("GATEWAY_SCAN_GROUPS_IN_FLIGHT", default=1)
GATEWAY_SCAN_GROUP_MAX = env.int("GATEWAY_SCAN_GROUP_MAX", default=64)
# Live messages of the changes committed within this long go out together
# (gateway/live.py).
GATEWAY_LIVE_COALESCE_SECONDS = env.float("GATEWAY_LIVE_COALESCE_SECONDS", default=0.02)
# With Redis, each gateway process reuses a token's principal and counts its
# scans locally for this long, then reads Redis again in the background: a
# revocation made elsewhere is refused within this time plus a round trip,
# and never after twice this time (gateway/cache.py).
GATEWAY_NEAR_CACHE_SECONDS = env.float("GATEWAY_NEAR_CACHE_SECONDS", default=0.5)
# Open scan conflicts one scanner (a device, or a person's token) may leave per
# event; past it, batch items are refused without a row (gateway/conflicts.py).
GATEWAY_MAX_OPEN_CONFLICTS = env.int("GATEWAY_MAX_OPEN_CONFLICTS", default=1000)

# Where `ensure_demo_login` keeps the demo login (.demo-login): the
# repository root by default; the container image's writable var/.
DEMO_LOGIN_DIR = env.str("DEMO_LOGIN_DIR", default="")

# --- Auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's ModelBackend, reading a user's permissions in one query (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.ModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
TOKEN_CACHE_SECONDS = env.int("TOKEN_CACHE_SECONDS", default=30)

# Failed password guesses on /login/ and /admin/login/ (accounts.login_throttle):
# failures allowed per account and client address, per address, per account,
# each counted over LOGIN_THROTTLE_MINUTES and then locked for as long.
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.int(
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default=5
)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=100)
LOGIN_THROTTLE_MINUTES = env.int("LOGIN_THROTTLE_MINUTES", default=15)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Bodies larger than this are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- REST framework -----------------------------------------------------------
SCAN_THROTTLE_RATE = env.str("SCAN_THROTTLE_RATE", default="1200/min")
# Submissions of the public registration page per client address (signup app).
PUBLIC_REGISTRATION_RATE = env.str("PUBLIC_REGISTRATION_RATE", default="20/h")
# Company suggestions asked by the public pages per client address (typing).
PUBLIC_REGISTRATION_LOOKUP_RATE = env.str("PUBLIC_REGISTRATION_LOOKUP_RATE", default="120/min")
# A public form sent sooner than this after it was served is refused as a bot's.
PUBLIC_REGISTRATION_MIN_SECONDS = env.int("PUBLIC_REGISTRATION_MIN_SECONDS", default=3)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns "not logged in" into 401.
        "registrants.api.authentication.BearerOrTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["registrants.api.permissions.RolePermission"],
    # JSONParser with a nesting limit: deep bodies are a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["registrants.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "registrants.api.schema.ErrorAwareAutoSchema",
    "EXCEPTION_HANDLER": "registrants.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "scan": SCAN_THROTTLE_RATE,
        "registration": PUBLIC_REGISTRATION_RATE,
        "registration_lookup": PUBLIC_REGISTRATION_LOOKUP_RATE,
    },
    # Throttle by REMOTE_ADDR only: X-Forwarded-For is client-controlled
    # unless a trusted proxy sets it (NUM_PROXIES documents how many).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Registrant Dashboard API",
    "DESCRIPTION": (
        "Registration and check-in for events. Every error has the shape "
        '`{"error": {"code": "...", "message": "...", "fields": {...}}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the vendored sidecar package: no CDN on a venue network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "registrants.lifecycle.Status",
        "GuestTypeEnum": "registrants.models.GuestType",
        "ScanModeEnum": "registrants.lifecycle.ScanMode",
        "ImportModeEnum": "imports.models.ImportMode",
        # Three choice sets are named "kind": a history row's move, an
        # e-mail's and a registration question's.
        "MessageKindEnum": "mail.models.Kind",
        "QuestionKindEnum": "signup.models.Question.Kind",
    },
    # What webhook endpoints receive (webhooks/schema.py).
    "WEBHOOKS": [
        "webhooks.schema.registrant_registered",
        "webhooks.schema.registrant_status_changed",
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registrants.api.schema.nullable_references",
        "webhooks.schema.webhooks_for_openapi_30",
    ],
}

# --- Browser security headers -----------------------------------------------------
# Content-Security-Policy (django-csp; Django 5.2 has none built in): scripts,
# styles, images and sockets from this site only, so an injected <script> or
# event handler does not run. Every script is a vendored or own file under
# static/ (no inline script, no CDN). Style *attributes* stay allowed: the
# pages set bar widths and tile colours with them, and an attribute cannot
# run script. docs/decisions/0080-content-security-policy.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],  # fetch, htmx and the live websocket, same origin
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# With Redis, sessions are read from it and kept in the database
# (config/sessions.py, decision 0260): no database round trip per request
# for the session, and a Redis outage falls back to the table. Without
# Redis the table alone: a per-process cache would keep a logged-out
# session alive in the other processes.
SESSION_ENGINE = "config.sessions" if REDIS_URL else "config.db_sessions"
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=300)

# --- Logs -----------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line with the request id, user id and
# event id (config/logs.py); plain text by default (make run), JSON in
# production. Every request gets an X-Request-ID (config/request_log.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
# Celery workers keep this configuration instead of installing their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Badges: the largest batch one PDF may hold (a PDF of 2,000 badges takes a
# few seconds of one web process and a few MB).
BADGE_BATCH_MAX = env.int("BADGE_BATCH_MAX", default=2000)

# --- Bulk actions ------------------------------------------------------------
# "All N matching" bulk actions over more rows than this run as background
# jobs with a progress page (docs/decisions/0140-large-bulk-actions-as-jobs.md).
BULK_JOB_THRESHOLD = env.int("BULK_JOB_THRESHOLD", default=1000)
BULK_JOB_STALE_SECONDS = env.int("BULK_JOB_STALE_SECONDS", default=120)

# --- What the product sends out: e-mail and webhooks (outbound.py) ------------
from .outbound import *  # noqa: E402, F403
