"""Crit settings, all from environment variables.

With no environment set Crit runs embedded: SQLite under var/, an in-memory cache and
Celery tasks run in-process. With DATABASE_URL and REDIS_URL it runs on PostgreSQL and
Redis with real Celery workers. DEBUG=false is production: it refuses to start without
SECRET_KEY and ALLOWED_HOSTS.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
# In a source checkout (manage.py beside the apps) the pages' templates and static files sit
# at the top of the checkout, and so do var/ (SQLite database, media) and .env. An installed
# Crit (pip install, the wheel) carries templates and static files inside this package and
# keeps var/ and .env in the directory it is run from.
CHECKOUT = (BASE_DIR / "manage.py").is_file()
SITE_FILES_DIR = BASE_DIR if CHECKOUT else Path(__file__).resolve().parent
WORK_DIR = BASE_DIR if CHECKOUT else Path.cwd()
VAR_DIR = WORK_DIR / "var"

env = environ.Env()
environ.Env.read_env(WORK_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET = "crit-insecure-local-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("Production (DEBUG=false) needs SECRET_KEY to be set.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production (DEBUG=false) needs ALLOWED_HOSTS to be set.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_site.CritAdminConfig",  # django.contrib.admin, its sign-in under the lockout
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "accounts",
    "designs",
    "designs.diagrams",
    "reviews",
    "exports",
    "api",
    "demo",
    "realtime",
    "search",
    "activity",
]

# Metrics on by default; CRIT_METRICS=false leaves the middleware out and /metrics closed.
CRIT_METRICS = env.bool("CRIT_METRICS", default=True)
# Who may read /metrics: a bearer token, or addresses and networks ("10.0.0.0/8,127.0.0.1").
# With neither set it answers nobody.
CRIT_METRICS_TOKEN = env.str("CRIT_METRICS_TOKEN", default="")
CRIT_METRICS_ALLOW = env.list("CRIT_METRICS_ALLOW", default=[])

MIDDLEWARE = [
    "config.request_id.RequestIdMiddleware",
    *(["config.metrics.MetricsMiddleware"] if CRIT_METRICS else []),
    # Before anything reads the body: refuses oversized bodies and floods of fields.
    "config.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_FILES_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.context_processors.notifications",
            ],
            "libraries": {"request_id": "config.templatetags.request_id"},
        },
    }
]

# Database: SQLite under var/ by default, PostgreSQL with DATABASE_URL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crit.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Logs and serves without the cache while Redis is unreachable.
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "crit",
            "TIMEOUT": 60 * 60 * 24,
        }
    }
    # Sessions read from Redis, written through to the database: signed-in pages spare a
    # query, and nobody is signed out when Redis restarts.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "crit",
        }
    }

# WebSockets (realtime/): Redis pub/sub fans messages out between processes; without
# REDIS_URL one process serves everything and the in-memory layer is enough. Delivery is at
# most once either way: rooms resynchronise (realtime/rooms.py).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("CRIT_CHANNEL_PREFIX", default="crit-rt"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
# The only backend: ModelBackend behind the sign-in lockout (accounts/throttle.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "designs:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [SITE_FILES_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
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

# Email: console locally, SMTP (EMAIL_URL, a local relay by default) in production, locmem in
# tests (the test runner swaps every mailer for locmem).
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS", False),
    "use_ssl": _email.get("EMAIL_USE_SSL", False),
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _smtp_options if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Crit <crit@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Security headers. Cookies are secure whenever DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages carry the token (hx-headers, forms).
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Celery: real workers with REDIS_URL, in-process (eager) without it.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery beat: put exports left behind by a dead worker or a down broker back in the queue.
CELERY_BEAT_SCHEDULE = {
    "exports-sweep": {"task": "exports.sweep", "schedule": 60.0, "options": {"expires": 55}},
    # Draw diagrams whose task was lost (designs.diagrams.services.diagrams_sweep).
    "diagrams-sweep": {"task": "diagrams.sweep", "schedule": 60.0, "options": {"expires": 55}},
    # Claim and send the hourly and daily digests (chosen per kind, or held by
    # CRIT_EMAILS_PER_HOUR) of the hour or day that ended.
    "email-digests": {
        "task": "reviews.email_digests",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Switch off webhooks that have failed for a day and tell their teams' owners.
    "webhooks-disable-failing": {
        "task": "activity.webhooks_disable_failing",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    # Hand webhook deliveries whose task was lost (a broker down) to the workers again.
    "webhook-deliveries-sweep": {
        "task": "activity.deliveries_sweep",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

# Crit's own knobs.
# Names the release (a commit, say) in the keys of cached pages, beside the templates' and
# static files' digest, so pages cached by an older release are never served by a newer one.
CRIT_RELEASE = env.str("CRIT_RELEASE", default="")
CRIT_HISTORY_FOLD_SECONDS = env.int("CRIT_HISTORY_FOLD_SECONDS", default=5 * 60)
CRIT_SECTION_BODY_MAX_BYTES = 200_000
CRIT_COMMENT_BODY_MAX_BYTES = 50_000
CRIT_TITLE_MAX_CHARS = 200
# A Markdown document imported as a design (or a template), uploaded or pasted. Half the
# request body limit: the import's preview step sends the text back once more.
CRIT_IMPORT_MAX_BYTES = env.int("CRIT_IMPORT_MAX_BYTES", default=400_000)
CRIT_API_WRITES_PER_MINUTE = env.int("CRIT_API_WRITES_PER_MINUTE", default=120)
# Sign-in lockout: this many failures for one account, or from one address, within the
# window pause sign-ins for it until the window ends.
CRIT_SIGNIN_FAILURES_PER_ACCOUNT = env.int("CRIT_SIGNIN_FAILURES_PER_ACCOUNT", default=5)
CRIT_SIGNIN_FAILURES_PER_ADDRESS = env.int("CRIT_SIGNIN_FAILURES_PER_ADDRESS", default=30)
CRIT_SIGNIN_LOCKOUT_SECONDS = env.int("CRIT_SIGNIN_LOCKOUT_SECONDS", default=15 * 60)
# Sign-ups an hour from one address and with one email address; password reset requests an
# hour from one address and for one email address; confirmation mails an hour per person.
CRIT_SIGNUPS_PER_ADDRESS = env.int("CRIT_SIGNUPS_PER_ADDRESS", default=10)
CRIT_SIGNUPS_PER_EMAIL = env.int("CRIT_SIGNUPS_PER_EMAIL", default=3)
CRIT_RESETS_PER_ADDRESS = env.int("CRIT_RESETS_PER_ADDRESS", default=10)
CRIT_RESETS_PER_EMAIL = env.int("CRIT_RESETS_PER_EMAIL", default=3)
CRIT_VERIFICATION_MAILS_PER_HOUR = env.int("CRIT_VERIFICATION_MAILS_PER_HOUR", default=5)
# Links that confirm an email address work this long; reset links PASSWORD_RESET_TIMEOUT.
CRIT_EMAIL_VERIFY_MAX_AGE = env.int("CRIT_EMAIL_VERIFY_MAX_AGE", default=3 * 24 * 60 * 60)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
# Comments (and replies) one person may post a minute, new exports an hour; 0 is no limit.
CRIT_COMMENTS_PER_MINUTE = env.int("CRIT_COMMENTS_PER_MINUTE", default=60)
CRIT_EXPORTS_PER_HOUR = env.int("CRIT_EXPORTS_PER_HOUR", default=120)
# Review requests one team member may make a minute; 0 is no limit.
CRIT_REVIEW_REQUESTS_PER_MINUTE = env.int("CRIT_REVIEW_REQUESTS_PER_MINUTE", default=10)
# Notification emails one person gets an hour; past it notifications still reach the inbox
# and their emails wait for one digest at the end of the hour. 0 is no cap.
CRIT_EMAILS_PER_HOUR = env.int("CRIT_EMAILS_PER_HOUR", default=30)
# Team invitations one person may send an hour (each attempt counts, whoever it names).
CRIT_INVITATIONS_PER_HOUR = env.int("CRIT_INVITATIONS_PER_HOUR", default=30)
# Markdown previews (of text not saved) one person may ask for a minute; 0 is no limit.
CRIT_PREVIEWS_PER_MINUTE = env.int("CRIT_PREVIEWS_PER_MINUTE", default=60)
# Mermaid diagrams (docs/designs.md, "Diagrams"): drawn by this Chromium; without it a diagram
# shows its source. A diagram's source may hold CRIT_DIAGRAM_MAX_CHARS characters, a design
# show CRIT_DIAGRAMS_PER_DESIGN different diagrams, and a render take
# CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS before the browser is killed.
CRIT_CHROMIUM_PATH = env.str("CRIT_CHROMIUM_PATH", default="/usr/bin/chromium")
CRIT_DIAGRAM_MAX_CHARS = env.int("CRIT_DIAGRAM_MAX_CHARS", default=5_000)
CRIT_DIAGRAMS_PER_DESIGN = env.int("CRIT_DIAGRAMS_PER_DESIGN", default=50)
CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS = env.float("CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS", default=5.0)
# A running export whose heartbeat is older than this belongs to a worker that died: the
# task's hard time limit (180 s) plus a margin.
CRIT_EXPORT_STALE_SECONDS = env.int("CRIT_EXPORT_STALE_SECONDS", default=240)
# One limit on a request's body, files included (the only uploads are Markdown imports,
# under CRIT_IMPORT_MAX_BYTES): a larger Content-Length is refused with 413 before the body
# is read (config.limits), and a body streamed without one is cut off there under ASGI.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# Live collaboration (docs/collaboration.md). A socket re-checks its access and session this
# often as a backstop to the access.changed events that close it at once.
CRIT_REALTIME_RECHECK_SECONDS = env.float("CRIT_REALTIME_RECHECK_SECONDS", default=5.0)
# Clients on one section in one process; the largest message a client may send (bytes);
# messages a second one connection may send (a burst of twice this is allowed).
CRIT_REALTIME_CLIENTS_PER_DOCUMENT = env.int("CRIT_REALTIME_CLIENTS_PER_DOCUMENT", default=50)
CRIT_REALTIME_MAX_MESSAGE_BYTES = env.int("CRIT_REALTIME_MAX_MESSAGE_BYTES", default=256_000)
CRIT_REALTIME_MESSAGES_PER_SECOND = env.int("CRIT_REALTIME_MESSAGES_PER_SECOND", default=50)
# The shared text is saved this long after typing stops, and at least this often while
# people type; rooms exchange state vectors (to repair lost messages) this often.
CRIT_REALTIME_SAVE_IDLE_SECONDS = env.float("CRIT_REALTIME_SAVE_IDLE_SECONDS", default=2.0)
CRIT_REALTIME_SAVE_MAX_SECONDS = env.float("CRIT_REALTIME_SAVE_MAX_SECONDS", default=10.0)
CRIT_REALTIME_RESYNC_SECONDS = env.float("CRIT_REALTIME_RESYNC_SECONDS", default=3.0)
# Presence (realtime/presence.py): each open page or editor renews its entry this often, and
# an entry not renewed (its server died) is dropped after the time to live.
CRIT_REALTIME_PRESENCE_HEARTBEAT_SECONDS = env.float(
    "CRIT_REALTIME_PRESENCE_HEARTBEAT_SECONDS", default=2.0
)
CRIT_REALTIME_PRESENCE_TTL_SECONDS = env.float("CRIT_REALTIME_PRESENCE_TTL_SECONDS", default=6.0)

# Plain lines while developing, one JSON object per line in production (LOG_FORMAT overrides).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain" if DEBUG else "json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Embedded mode runs tasks in-process: a line per finished task would drown the server log.
    "loggers": {
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
        "kombu.connection": {"level": "WARNING" if REDIS_URL else "ERROR"},
    },
}

# Search (search/): on PostgreSQL a search that has not finished ranking its matches in this
# many milliseconds stops and asks for more words or filters (0: no limit).
CRIT_SEARCH_TIMEOUT_MS = env.int("CRIT_SEARCH_TIMEOUT_MS", default=3_000)

# Webhooks (docs/reviews.md, "Webhooks"): seconds a delivery may take to connect and be
# answered, and hosts a delivery may go to although they resolve to private or local
# addresses (tests, services inside the network), e.g. "127.0.0.1,hooks.internal".
CRIT_WEBHOOK_TIMEOUT = env.float("CRIT_WEBHOOK_TIMEOUT", default=10.0)
CRIT_WEBHOOK_ALLOWED_HOSTS = env.list("CRIT_WEBHOOK_ALLOWED_HOSTS", default=[])
