"""Production settings: the base plus the hardening `check --deploy` asks for.

Use with DJANGO_SETTINGS_MODULE=config.settings.production behind a TLS
terminating proxy. SECRET_KEY must come from the environment.
"""

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env, logging_config

SECRET_KEY = env.str("SECRET_KEY")
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
