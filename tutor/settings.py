"""Settings for System Design Tutor: one module, read from the environment.

Unset ``DATABASE_URL`` means an SQLite file beside ``manage.py`` and unset ``REDIS_URL``
means tasks run in process: the embedded default that works with nothing but Python.
Set both for the production shape (PostgreSQL, Redis, a Celery worker).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tutor.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", default=False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (make run sets DEBUG=1 for local use)."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-deploy"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "lti_tool",
    "tutor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above the session middleware, so it sees the session cookie being set; below
    # WhiteNoise, so static files keep their long caching.
    "tutor.middleware.PrivateCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns a database outage anywhere below into the 503 page. Session and auth
    # middleware touch the database lazily, so /healthz/live never reaches it.
    "tutor.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Below CSP's and X-Frame-Options' middleware, so it answers first: lets the LMS
    # that launched a person frame the tutor's pages (tutor/lti.py).
    "tutor.middleware.LtiFramingMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tutor.urls"
WSGI_APPLICATION = "tutor.wsgi.application"

# Form widgets are drawn with Django's own Jinja2 widget templates where there is one
# (tutor/renderers.py): the same HTML, several times faster for forms with many fields.
FORM_RENDERER = "tutor.renderers.FastWidgets"

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
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# Database: PostgreSQL (psycopg 3) from DATABASE_URL, else an SQLite file.
# DB_QUERY_TIMEOUT: the longest, in seconds, any one wait for PostgreSQL may take (a query,
# a commit, the pooled connection's health check) before the connection is dropped and the
# request gets the 503 page; 0 turns it off. See tutor/database.py.
DB_QUERY_TIMEOUT = envint("DB_QUERY_TIMEOUT", 5)
if DB_QUERY_TIMEOUT < 0:
    raise ImproperlyConfigured(f"DB_QUERY_TIMEOUT must be 0 (off) or more, not {DB_QUERY_TIMEOUT}")
# DB_PREPARED_STATEMENTS: the hot statements (tutor/database.py, ``Statement``) are planned
# once per PostgreSQL connection; turn it off behind a connection pooler in transaction
# mode, which hands each transaction whichever server connection is free.
DB_PREPARED_STATEMENTS = envbool("DB_PREPARED_STATEMENTS", default=True)
_database_url = envstr("DATABASE_URL")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url, conn_max_age=envint("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        # Fail fast when the database is down instead of hanging a request.
        _options["connect_timeout"] = envint("DB_CONNECT_TIMEOUT", 3)
        if DB_QUERY_TIMEOUT:
            # A live but slow server cancels a runaway statement itself, a little before
            # the client's bound: the server stops working on it and the connection stays
            # usable. The client's bound (tutor/database.py) is for a server that does not
            # answer at all, which no server-side setting can catch.
            _statement_ms = DB_QUERY_TIMEOUT * 800
            _options["options"] = " ".join(
                filter(None, [_options.get("options"), f"-c statement_timeout={_statement_ms}"])
            )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tutor.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is refused for AXES_COOLOFF_TIME, even with the
# right password; after AXES_ADDRESS_FAILURE_LIMIT wrong passwords from one address for
# any usernames (password spraying), the whole address is (tutor/throttling.py gives
# the address its own limit). Failures are kept in the database, so it works with Redis
# down. Signup logs in with ModelBackend by name, which bypasses authenticate() on purpose.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "tutor.throttling.LoginThrottle"
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = envint("AXES_ADDRESS_FAILURE_LIMIT", 20)
if AXES_FAILURE_LIMIT < 1 or AXES_ADDRESS_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT and AXES_ADDRESS_FAILURE_LIMIT must be 1 or more."
    )
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "tutor.middleware.axes_username"  # NUL-free, at most 255
# The client address is REMOTE_ADDR (django-ipware is not installed), or behind
# TRUSTED_PROXY_COUNT proxies that append to X-Forwarded-For (HAProxy's `option
# forwardfor`), the address the outermost one saw. Leave it 0 without such proxies:
# a client could otherwise name any address it likes.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "tutor.throttling.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Redis: cache and Celery broker. Without it, a local-memory cache and in-process tasks.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Drawn template fragments and phase pages, kept in each process under a digest of what
# they are drawn from (the {% cache %} tag's own alias; see views._stored_page and
# views.phase_page): content-addressed, so never stale, and emptied by the restart a
# deploy makes. DEBUG keeps none, so an edited template shows at once.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.dummy.DummyCache"
    if DEBUG
    else "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 500},
}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # results live in PostgreSQL rows, not a result backend
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery and kombu wait forever by default; a web request must never hang on the broker.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# Redis has no acknowledgements of its own: kombu keeps a delivered message in an
# "unacked" set and gives it to another worker only after the visibility timeout. That
# is what brings back a task whose whole worker died (main process and pool, SIGKILL or
# a lost machine). The timeout must be longer than the longest task, and than the
# longest retry countdown (tasks.RETRY_BACKOFF_CAP, 8 s), or a message still being
# worked on is handed to a second worker. The longest task is a regrade: 35 ms per
# attempt with one phase answered (measured on a busy 2-core machine), say 0.1 s with
# all nine, so a problem with 10,000 attempts takes about 17 minutes; reports take
# milliseconds. Two hours leaves several times that. A long timeout costs nothing in
# recovery: the sweep below re-enqueues reports and regrades left pending or running,
# long before kombu would.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 1,
    "socket_connect_timeout": 1,
    "max_retries": 0,
    "visibility_timeout": envint("BROKER_VISIBILITY_TIMEOUT", 2 * 60 * 60),
}
CELERY_TASK_PUBLISH_RETRY = False

# A report (or a regrade) pending or running longer than this is taken for lost (its
# worker died with the message) and enqueued again; the per-revision guard in
# services.run_report makes a second delivery harmless. A report takes milliseconds;
# a task retrying a database outage takes at most about 35 s (tasks.py), and this must
# be longer so that the sweep does not duplicate work still in flight. Even when the
# worker died, a learner watching "Computing…" sees the report at most this long after
# the save, plus one poll (a second) and the computation.
REPORT_STALE_SECONDS = envint("REPORT_STALE_SECONDS", 90)
if REPORT_STALE_SECONDS < 1:
    raise ImproperlyConfigured(
        f"REPORT_STALE_SECONDS must be at least 1, not {REPORT_STALE_SECONDS}"
    )
# The sweep that does it without anyone watching: Celery beat (`celery worker -B`, as
# `make run` starts it, or one `celery beat` process) sends it twice per bound. A sweep
# not picked up before the next one is due is dropped (expires), so sweeps do not pile
# up while no worker runs.
_SWEEP_EVERY = max(1.0, REPORT_STALE_SECONDS / 2)
CELERY_BEAT_SCHEDULE = {
    "recover-stale-work": {
        "task": "tutor.tasks.recover_stale_work",
        "schedule": _SWEEP_EVERY,
        "options": {"expires": _SWEEP_EVERY},
    }
}

# Django's database sessions, which a save and the report's poll read in one round trip
# with their first statements (tutor/sessions.py).
SESSION_ENGINE = "tutor.sessions"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
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

# Security headers; the deploy settings are checked by `manage.py check --deploy`
# (tests/tutor/test_security.py runs it with a production environment).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=False)
# The load balancer probes over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
if envbool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets (and strips any client's) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: on (a year) once the site redirects to HTTPS, off otherwise and in debug.
SECURE_HSTS_SECONDS = envint(
    "SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL_REDIRECT and not DEBUG else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
CSRF_FAILURE_VIEW = "tutor.middleware.csrf_failure"
# Inside an LMS's iframe the tutor is a third party: browsers send its cookies there only
# when they are SameSite=None, which they accept only with Secure. So with secure cookies
# (HTTPS, production) they are SameSite=None; CSRF stays checked by the token and the
# Origin header. Over plain HTTP (SECURE_COOKIES=0: local use and the tests) they stay
# Lax: a page on http://localhost:A framing http://localhost:B is same-site (ports do not
# count), so the tests' LMS still gets them.
_IFRAME_COOKIES = SESSION_COOKIE_SECURE and envbool("LTI_IFRAME_COOKIES", default=True)
SESSION_COOKIE_SAMESITE = "None" if _IFRAME_COOKIES else "Lax"
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE

# LTI 1.3 (tutor/lti.py). The longest a call to a platform (its keyset, token, roster or
# score endpoint) may take; a grade that cannot be sent is retried (tasks.send_grade),
# LTI_GRADE_TRIES times in all before it is marked failed. LTI_FRAME_ANCESTORS: origins
# allowed to frame the tutor beyond those of the registered platforms' issuer and
# login URL (an LMS whose pages live elsewhere, as Canvas's do).
LTI_HTTP_TIMEOUT = envint("LTI_HTTP_TIMEOUT", 5)
LTI_GRADE_TRIES = envint("LTI_GRADE_TRIES", 6)
if LTI_HTTP_TIMEOUT < 1 or LTI_GRADE_TRIES < 1:
    raise ImproperlyConfigured("LTI_HTTP_TIMEOUT and LTI_GRADE_TRIES must be 1 or more.")
LTI_FRAME_ANCESTORS = envlist("LTI_FRAME_ANCESTORS", [])

# Content-Security-Policy (django-csp 4) on every response: scripts, styles, images and
# requests from this origin only; no inline script or style, no eval (htmx is configured
# for that in base.html's htmx-config). The SVG diagrams use presentation attributes,
# which CSP does not govern. In debug the policy is report-only, so Django's own debug
# pages (inline styles and scripts) still render while violations show in the console.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if DEBUG:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
