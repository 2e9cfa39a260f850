"""One settings file for every mode, driven by environment variables.

With DATABASE_URL and REDIS_URL unset the console runs in its *embedded default*: SQLite, the
in-memory channel layer and Celery tasks run in-process, so one process runs everything. With them
set it runs in production style: PostgreSQL, the Redis channel layer and Celery on Redis. Every
variable read here is listed in `.env.example` and in the README's configuration table.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue
from redis.exceptions import ConnectionError as RedisConnectionError

from config.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("DATA_DIR", default=BASE_DIR / ".data")

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
EMBEDDED = not DATABASE_URL and not REDIS_URL
TESTING = "pytest" in sys.modules or env_bool("TESTING", default=False)

DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL or REDIS_URL is set.")
    # The embedded default keeps a random key beside its SQLite file, so sessions and the
    # derived field-encryption key survive a restart without anyone having to choose one.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    # Django's admin, on a site that takes its sign-in from the console (counselors.admin_site).
    "counselors.admin_apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "csp",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "counselors",
    "handoff",
]

# The views are synchronous. The last middleware is synchronous only, so Django runs the
# whole chain in sync mode on the request thread: one switch between the event loop and that
# thread per request, instead of one per middleware hook (docs/benchmarks.md has the figures).
MIDDLEWARE = [
    "handoff.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "counselors.sessions.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "handoff.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "counselors.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

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
                "handoff.navigation.nav_counts",
                "counselors.sessions.session_context",
            ],
        },
    },
]

if DATABASE_URL:
    # Under ASGI every request runs in a thread of its own, so persistent per-thread connections
    # would pile up until PostgreSQL refuses clients; a pool shares a few among all threads.
    DATABASES: dict[str, Any] = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    _connect_timeout = env_int("DATABASE_CONNECT_TIMEOUT", default=3)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["connect_timeout"] = _connect_timeout
    _pool_size = env_int("DATABASE_POOL_SIZE", default=20)
    if _pool_size and not TESTING:
        # Tests need the test database free of idle pooled connections when it is dropped.
        _options["pool"] = {
            "min_size": 1,
            "max_size": _pool_size,
            "timeout": _connect_timeout,
        }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "handoff.sqlite3",
            # One embedded process serialises its writers; wait for the lock rather than fail.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# URLs typed without a scheme (callback URLs in the admin) are https.
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "/static/"
STATIC_ROOT = env_path("STATIC_ROOT", default=DATA_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security -------------------------------------------------------------------------------
# `manage.py check --deploy` is clean with HTTPS=1 (tests/config/test_check_deploy.py).
HTTPS = env_bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
# Behind TLS, plain HTTP is only ever a redirect to https, except the probes a load balancer
# sends to the process itself.
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
# Console URLs name cases: no other site learns them from a link followed out of the console.
SECURE_REFERRER_POLICY = "same-origin"
# A page the console opens, or that opens the console, gets no handle on its window.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

# Browser features no page of the console uses are switched off (django-permissions-policy).
# Autoplay stays on for the console itself: the queue and the floor sound an alert.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "autoplay": ["self"],
    **{
        feature: []
        for feature in (
            "accelerometer",
            "ambient-light-sensor",
            "bluetooth",
            "browsing-topics",
            "camera",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "geolocation",
            "gyroscope",
            "hid",
            "idle-detection",
            "interest-cohort",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "picture-in-picture",
            "publickey-credentials-get",
            "screen-wake-lock",
            "serial",
            "usb",
            "web-share",
            "xr-spatial-tracking",
        )
    },
}

# A strict Content Security Policy on every response, Django's admin included: templates carry
# no inline script, style or event handler (the admin's scripts are files too).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}


def _encryption_keys() -> list[str]:
    keys = env_list("FIELD_ENCRYPTION_KEYS")
    if keys:
        return keys
    if not EMBEDDED and not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set when DATABASE_URL or REDIS_URL is set "
            "(generate one with: python manage.py encryption_key)."
        )
    return []  # handoff.crypto derives a key from SECRET_KEY for the embedded default


# "kid:key" pairs, newest first. New data is written with the first; all are read.
FIELD_ENCRYPTION_KEYS = _encryption_keys()

# --- Sign-in: second factor, lockout, sessions ------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout backend first: a locked name or address is refused before its password is tried.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "counselors.signin.PasswordAndCodeBackend",
]
# Every sign-in needs a code from the person's authenticator (or a backup code). No variable
# turns this off: only `manage.py demo` does, for its own process, and every page then says so.
OTP_REQUIRED = True
OTP_TOTP_ISSUER = "Handoff Console"
# A sign-in lasts at most this long (one shift), and ends sooner after SESSION_IDLE_MINUTES
# without a request made by the person (counselors.sessions); the cookie ends with the browser.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", default=30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Lockout (django-axes): this many failed sign-ins for one username, or from one address, lock
# sign-in for it for SIGNIN_LOCKOUT_MINUTES (a wrong code counts as a failure). Attempts while
# locked are refused without extending the lock; an administrator may unlock sooner.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Sign-ins are recorded once, as account events (counselors.events), not in axes' log as well.
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "counselors.signin.client_address"
# Never stored in axes' record of an attempt (the password always is masked).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# Proxies in front of the console that append the client's address to X-Forwarded-For; the
# lockout counts the address the outermost of them saw. 0: the connection's own address.
SIGNIN_TRUSTED_PROXIES = env_int("SIGNIN_TRUSTED_PROXIES", default=0)
for _name, _value in (
    ("SESSION_IDLE_MINUTES", SESSION_IDLE_MINUTES),
    ("SIGNIN_FAILURE_LIMIT", AXES_FAILURE_LIMIT),
    ("SIGNIN_LOCKOUT_MINUTES", AXES_COOLOFF_TIME.total_seconds() // 60),
):
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more, got {_value:g}")
if SIGNIN_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("SIGNIN_TRUSTED_PROXIES must be 0 or more")

# --- Redis, channels, Celery ----------------------------------------------------------------
# redis-py caps a pool at 100 connections and raises rather than waits; a daphne process with
# hundreds of dashboards needs more.
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", default=1000)
# Begins every key the console keeps in Redis (handoff.redis.key and the channel layer's), so
# that two consoles can share one Redis.
CHANNEL_PREFIX = env_str("CHANNEL_PREFIX", "handoff")

if REDIS_URL:
    # Redis pub/sub: a group message is published once and each process hands it to all of its
    # own sockets, instead of one Redis round trip per socket. Delivery is at most once either
    # way; the dashboard's snapshot, sequence numbers and heartbeat check heal what is lost.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        # A Redis that stops answering fails a send within seconds instead of
                        # holding a request (the push is a hint; the request goes on).
                        "socket_timeout": 15,
                        "socket_connect_timeout": 3,
                        # After a Redis restart every pooled connection is dead: a publish
                        # tries once more on a new one instead of losing the update.
                        "retry_on_error": [RedisConnectionError],
                    }
                ],
                "prefix": CHANNEL_PREFIX,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Without Redis there is no worker: tasks run in the web process, as part of the embedded default.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
# A task whose worker dies is re-delivered, within seconds rather than kombu's default minutes.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Above the longest task (a callback attempt times out at 10 s).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=30),
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
# Summaries and the floor's periodic work have queues of their own, which every worker also
# reads (in turn): a platform that is down fills the default queue with callback retries, and a
# counselor's summary or a case's escalation past its target must never wait behind them (`make
# faults`: 300 callbacks queued ahead of the sweep held it back for a minute); nor may a burst of
# escalations hold back the callbacks that tell platforms a case was claimed.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("summaries"), Queue("floor"))
CELERY_TASK_ROUTES = {
    "handoff.summary_*": {"queue": "summaries"},
    "handoff.queue_age": {"queue": "floor"},
    "handoff.presence_expire": {"queue": "floor"},
}
CELERY_TASK_TIME_LIMIT = 25
CELERY_TASK_SOFT_TIME_LIMIT = 20
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "webhook-deliveries-purge": {"task": "handoff.webhook_deliveries_purge", "schedule": 3600.0},
    # Imminent cases have a 30 s target: check often enough to flag them within seconds.
    "queue-age": {"task": "handoff.queue_age", "schedule": 5.0},
    "presence-expire": {"task": "handoff.presence_expire", "schedule": 15.0},
}

# --- Intake ---------------------------------------------------------------------------------
INTAKE_MAX_BODY_BYTES = env_int("INTAKE_MAX_BODY_BYTES", default=1024 * 1024)
# The platform API's own limit decides; Django's must not cut in first with a bare 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = INTAKE_MAX_BODY_BYTES + 1024
INTAKE_RETRY_AFTER_SECONDS = env_int("INTAKE_RETRY_AFTER_SECONDS", default=5)
# How long a webhook-id's first answer is kept for redeliveries (senders retry for days).
INTAKE_IDEMPOTENCY_DAYS = env_int("INTAKE_IDEMPOTENCY_DAYS", default=7)

# --- Logs and metrics: never personal data; records carry ids only --------------------------
# JSON lines for a log collector; text for a person at a terminal (the embedded default's).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if EMBEDDED else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # handoff.monitoring.logs: the request, case, user and task ids on every record.
    "filters": {"context": {"()": "handoff.monitoring.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "handoff.monitoring.logs.JsonFormatter"},
        "text": {"()": "handoff.monitoring.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's request logger prints the request line; ours carry no personal data in URLs.
        "django.request": {"level": "ERROR"},
        # httpx logs every callback's URL, which may hold a platform's token; the callback
        # sender logs each attempt itself, by id.
        "httpx": {"level": "WARNING"},
    },
}

# /metrics answers a scraper sending `Authorization: Bearer <METRICS_TOKEN>`; unset, it is off.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be at least 32 characters "
        '(python -c "import secrets; print(secrets.token_urlsafe(32))").'
    )
# Read by prometheus_client itself when first imported: every process given the same
# directory (web and workers) adds its counts to one total. Unset: each process its own.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if not PROMETHEUS_MULTIPROC_DIR:
    # prometheus_client takes the variable's mere presence for multiprocess mode: set but
    # empty (as in .env.example), it would write its files into the working directory.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
elif not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR {PROMETHEUS_MULTIPROC_DIR!r} is not a directory; create it "
        "(empty) before starting the console's processes."
    )

# --- Callbacks to platforms -----------------------------------------------------------------
CALLBACK_EXPIRY_HOURS = env_int("CALLBACK_EXPIRY_HOURS", default=72)
CALLBACK_TIMEOUT_SECONDS = env_int("CALLBACK_TIMEOUT_SECONDS", default=10)

# --- Queue ----------------------------------------------------------------------------------
# Target time to claim, per tier. A case waiting longer is flagged and moves up one tier, once.
QUEUE_TARGET_SECONDS = {
    "imminent": env_int("QUEUE_TARGET_IMMINENT_SECONDS", default=30),
    "high": env_int("QUEUE_TARGET_HIGH_SECONDS", default=120),
    "moderate": env_int("QUEUE_TARGET_MODERATE_SECONDS", default=300),
    "low": env_int("QUEUE_TARGET_LOW_SECONDS", default=900),
}
# The dashboard draws at most this many waiting cases; the rest are counted.
QUEUE_DISPLAY_LIMIT = env_int("QUEUE_DISPLAY_LIMIT", default=50)
# A dashboard beats every PRESENCE_TIMEOUT_SECONDS / 3; silence past the timeout is offline.
PRESENCE_TIMEOUT_SECONDS = env_int("PRESENCE_TIMEOUT_SECONDS", default=60)
# A counselor holding this many open cases claims no more (a supervisor may still assign).
COUNSELOR_MAX_OPEN_CASES = env_int("COUNSELOR_MAX_OPEN_CASES", default=3)

# --- Machine summary ------------------------------------------------------------------------
# Dotted path of the engine class (handoff.summary.engine.SummaryEngine protocol).
SUMMARY_ENGINE = env_str("SUMMARY_ENGINE", "handoff.summary.engine.RuleEngine")
SUMMARY_MAX_RETRIES = env_int("SUMMARY_MAX_RETRIES", default=3)
# A summary asked for longer ago than this and still missing is asked for again.
SUMMARY_RECONCILE_AFTER_SECONDS = env_int("SUMMARY_RECONCILE_AFTER_SECONDS", default=60)
# The sweep builds due summaries this many cases at a time, each batch leased for this long.
SUMMARY_BATCH_SIZE = env_int("SUMMARY_BATCH_SIZE", default=50)
# Shorter than the visibility timeout less the sweep's 10 s hand-over: a sweep delivered again
# after its worker died must find the batch that worker held free already (`make faults`).
SUMMARY_LEASE_SECONDS = env_int("SUMMARY_LEASE_SECONDS", default=15)
CELERY_BEAT_SCHEDULE["summary-reconcile"] = {"task": "handoff.summary_reconcile", "schedule": 30.0}

# --- Dispositions ---------------------------------------------------------------------------
# An emergency call whose outcome (did services reach the person?) is not recorded after this
# many minutes is flagged to supervisors.
EMERGENCY_CONFIRMATION_ALERT_MINUTES = env_int("EMERGENCY_CONFIRMATION_ALERT_MINUTES", default=30)
CELERY_BEAT_SCHEDULE["emergency-confirmations-overdue"] = {
    "task": "handoff.emergency_confirmations_overdue",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["follow-ups-remind"] = {"task": "handoff.follow_ups_remind", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["callbacks-sweep"] = {"task": "handoff.callbacks_sweep", "schedule": 10.0}

# --- Audit log ------------------------------------------------------------------------------
# "kid:secret" pairs, newest first: the key of the event log's hash chains (handoff.chain). New
# links use the first, any verifies. Unset: derived from SECRET_KEY (and SECRET_KEY_FALLBACKS).
# Keep it out of the database's reach: whoever holds it and the database can rewrite the log.
AUDIT_CHAIN_KEYS = env_list("AUDIT_CHAIN_KEYS")
# How often the chains' heads are signed in a checkpoint: events cut from a chain's end after
# its last checkpoint are not detected.
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "handoff.audit_checkpoint",
    "schedule": float(AUDIT_CHECKPOINT_SECONDS),
}

# --- Retention ------------------------------------------------------------------------------
# Once a day the personal content of every case that ended (closed or withdrawn) more than its
# platform's retention_days ago is erased (handoff.retention), this many cases per batch;
# `manage.py purge` does the same on demand.
RETENTION_PURGE_BATCH = env_int("RETENTION_PURGE_BATCH", default=200)
CELERY_BEAT_SCHEDULE["retention-purge"] = {"task": "handoff.retention_purge", "schedule": 86400.0}
