"""The login forms of the pages and the admin, with the login throttle."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from . import login_throttle


class ThrottledLoginMixin(AuthenticationForm):
    """Refuses attempts while locked (the password is not even checked) and
    counts the failures (accounts.login_throttle). Both login forms are
    authentication forms, so the mixin is one too (its clean() is theirs)."""

    def clean(self):
        request = self.request
        if request is None:  # the login views pass it: the throttle counts by address
            raise TypeError("a throttled login form needs the request")
        username = self.cleaned_data.get("username") or ""
        try:
            login_throttle.check(request, username)
        except login_throttle.LoginLocked as locked:
            raise forms.ValidationError(str(locked), code="throttled") from None
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            # Wrong password, unknown or inactive account: all count.
            login_throttle.record_failure(request, username)
            try:
                login_throttle.check(request, username)
            except login_throttle.LoginLocked as locked:
                raise forms.ValidationError(str(locked), code="throttled") from None
            raise error
        login_throttle.record_success(request, username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The dashboard's /login/ form."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's /admin/login/ form."""
