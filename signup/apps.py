from django.apps import AppConfig


class SignupConfig(AppConfig):
    """The public registration page of an event and its organiser-defined questions."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "signup"
    verbose_name = "Registration pages"

    def ready(self) -> None:
        # The erasure and subject access receivers (personal data).
        from . import receivers  # noqa: F401
