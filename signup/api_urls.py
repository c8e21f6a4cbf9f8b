"""The registration page's API, mounted under /api/v1/ by config.urls."""

from django.urls import re_path

from . import api

ID = r"(?P<id>[0-9]{1,18})"  # as the API's routers: longer ids cannot exist

app_name = "signup-api"

urlpatterns = [
    re_path(rf"^events/{ID}/registration-page/$", api.RegistrationPageView.as_view(), name="page"),
    re_path(rf"^events/{ID}/questions/$", api.QuestionListView.as_view(), name="questions"),
    re_path(rf"^questions/{ID}/$", api.QuestionDetailView.as_view(), name="question"),
    re_path(rf"^registrants/{ID}/answers/$", api.RegistrantAnswersView.as_view(), name="answers"),
]
