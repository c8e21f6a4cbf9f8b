from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The web pages: events, the live dashboard, the registrant list and page,
    the check-in desk. Reads via registrants.selectors, writes via
    registrants.services; nothing here writes the database on its own."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = "Dashboard pages"
