"""The import and export API, mounted under /api/v1/ by config.urls."""

from django.urls import re_path

from . import api

ID = r"(?P<id>[0-9]{1,18})"  # as the API's routers: longer ids cannot exist

app_name = "imports-api"

urlpatterns = [
    re_path(rf"^events/{ID}/imports/$", api.ImportCreateView.as_view(), name="create"),
    re_path(rf"^events/{ID}/export/$", api.ExportView.as_view(), name="export"),
    re_path(rf"^imports/{ID}/$", api.ImportJobView.as_view(), name="detail"),
    re_path(rf"^imports/{ID}/errors\.csv$", api.ImportErrorsCsvView.as_view(), name="errors-csv"),
]
