"""Log in and out with django.contrib.auth's views and our templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from accounts.forms import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    """Remembers `next` (a hidden field), sends logged-in users on; failed
    guesses are limited (accounts.login_throttle)."""

    template_name = "dashboard/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot log someone out."""

    next_page = "dashboard:login"  # a URL name: resolve_url reverses it
