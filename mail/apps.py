from django.apps import AppConfig


class MailConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mail"
    verbose_name = "E-mail"

    def ready(self) -> None:
        # The receivers: messages caused by status changes, erasure, export.
        from . import receivers  # noqa: F401
