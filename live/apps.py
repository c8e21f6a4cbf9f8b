from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from . import access_watch, publisher  # noqa: F401  (connect the signal receivers)
