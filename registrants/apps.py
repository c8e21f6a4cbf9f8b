from django.apps import AppConfig


class RegistrantsConfig(AppConfig):
    name = "registrants"
    verbose_name = "Registrations"

    def ready(self) -> None:
        from . import search  # noqa: F401  (the fold function of SQLite connections)
        from .api import auth_schema  # noqa: F401  (the schema's bearer scheme)
