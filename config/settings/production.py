"""Production settings: the base plus the hardening `check --deploy` asks for.

Use with DJANGO_SETTINGS_MODULE=config.settings.production behind a TLS
terminating proxy. SECRET_KEY must come from the environment, and must not
be a key published in this repository (anyone could forge sessions, password
reset links and signed values with it).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEVELOPMENT_SECRET_KEY, LOG_LEVEL, env, logging_config

SECRET_KEY = env.str("SECRET_KEY")
# The development default, and the placeholder of .env.example.
PUBLISHED_SECRET_KEYS = {DEVELOPMENT_SECRET_KEY, "change-me"}
if SECRET_KEY.strip() in PUBLISHED_SECRET_KEYS:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key published in the repository. Set SECRET_KEY "
        "to a new secret, e.g. the output of: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# HSTS preload is an operator's decision for the whole domain.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logs: one JSON object per line for the log shipper (config/logs.py) -------
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
