"""The product's URLs under a prefix: a second URL conf for the tests of
dashboard/templatetags/remembered_urls.py."""

from django.urls import include, path

urlpatterns = [path("mounted/", include("config.urls"))]
