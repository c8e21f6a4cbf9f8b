"""The pages' logged-in clients, shared with the dashboard's tests."""

from dashboard.tests.conftest import anon_web, org_web, staff_web, viewer_web  # noqa: F401
