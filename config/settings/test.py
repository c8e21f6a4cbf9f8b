"""Test settings: the base, fast password hashing, a generous throttle.

The database comes from DATABASE_URL exactly as in production (the test run
starts a throwaway PostgreSQL and points DATABASE_URL at it; without it the
suite runs on SQLite). Tests that need a specific throttle override it.
"""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "scan": "100000/min",
        "registration": "100000/min",
        "registration_lookup": "100000/min",
    },
}
# The public registration page's bot checks: their own tests set the real ones.
PUBLIC_REGISTRATION_MIN_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files from the apps' folders: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The suite logs in with wrong passwords in many tests, all from 127.0.0.1
# and within minutes (and the Redis cache outlives a test): the login
# throttle's own tests set the real limits.
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 10_000
LOGIN_FAILURES_PER_ADDRESS = 10_000
LOGIN_FAILURES_PER_ACCOUNT = 10_000

# The tests' webhook receivers listen on loopback (the SSRF tests turn it off).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
# Tests send deliveries themselves (webhooks.dispatch.send_due), or start the thread.
WEBHOOK_EMBEDDED_SENDER = False
