from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from . import publisher  # noqa: F401  (connects the domain signal receivers)
