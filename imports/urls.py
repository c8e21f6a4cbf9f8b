"""The import page, mounted at the site root by config.urls."""

from django.urls import re_path

from . import views

app_name = "imports"

EVENT = r"(?P<event_id>[0-9]{1,18})"  # longer ids cannot exist: a 404, not an overflow
JOB = r"(?P<job_id>[0-9]{1,18})"

urlpatterns = [
    re_path(rf"^events/{EVENT}/import/$", views.import_page, name="page"),
    re_path(rf"^imports/{JOB}/$", views.job_page, name="job"),
    re_path(rf"^imports/{JOB}/progress/$", views.job_progress, name="progress"),
]
