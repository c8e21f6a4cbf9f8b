"""Settings of what the product sends out: e-mail to registrants (mail/)
and webhook deliveries (webhooks/). base.py star-imports them."""

from .environment import BASE_DIR, env

# --- E-mail (mail/) ------------------------------------------------------------
# With EMAIL_HOST set, messages go out over SMTP (sent by Celery workers when
# REDIS_URL is set); without it they are written to files under
# EMAIL_FILE_PATH, one per message (the embedded default).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tickets@localhost")
# The public address the links in e-mails start with (the ticket page).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Attempts per message before it is failed; the wait before a retry doubles
# from MAIL_RETRY_SECONDS (at most an hour).
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=5)
MAIL_RETRY_SECONDS = env.float("MAIL_RETRY_SECONDS", default=60.0)
# A sender's hold on a message; a dead sender's message is sent again after it.
MAIL_LEASE_SECONDS = env.int("MAIL_LEASE_SECONDS", default=300)
# The sweep sends messages queued longer ago than this that nobody holds.
MAIL_SWEEP_AFTER_SECONDS = env.int("MAIL_SWEEP_AFTER_SECONDS", default=60)
# Reminders to more registrants than this are written by a background job.
MAIL_REMINDER_JOB_THRESHOLD = env.int("MAIL_REMINDER_JOB_THRESHOLD", default=200)

# --- Webhooks (webhooks/, docs/api.md "Webhooks") ------------------------------
# Endpoints on loopback, private or link-local addresses are refused (checked
# again at each delivery) unless this is on: tests and on-premise receivers.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Attempts per delivery; the waits between them double from the first.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600.0)
# Failed attempts in a row (any delivery) after which an endpoint is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
# How often due deliveries are looked for (Celery beat, or the embedded thread).
WEBHOOK_POLL_SECONDS = env.int("WEBHOOK_POLL_SECONDS", default=2)
# Without a broker the web process sends them from a thread (webhooks/runner.py).
WEBHOOK_EMBEDDED_SENDER = True
