from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bulk import and export of registrants, run as background jobs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = "Imports and exports"

    def ready(self) -> None:
        # Connects the worker_ready hook that requeues interrupted imports.
        from . import tasks  # noqa: F401
