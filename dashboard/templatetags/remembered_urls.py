"""`{% url %}` that remembers its answers (a template builtin: settings'
TEMPLATES OPTIONS "builtins", so every template's `{% url %}` is this one).

Reversing a URL walks the URL patterns each time: 26 times on the
registrant page (the navigation alone has 16), about a fifth of its
rendering. The answer depends only on the URL configuration and the script
prefix of the request, the view's name, its arguments and the current
application, so it is remembered under exactly those (a bounded LRU), for
arguments that are plain ids and names. Anything else, and every error, goes
through Django's tag unchanged.
"""

from __future__ import annotations

import functools

from django import template
from django.conf import settings
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

# Per-registrant URLs come and go; the navigation's stay.
CACHE_SIZE = 4096
_PLAIN = (int, str)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _reverse(urlconf, prefix: str, view_name: str, args: tuple, kwargs: tuple, current_app) -> str:
    # `prefix` is in the key only: reverse() reads the same thread's prefix.
    return reverse(
        view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


class RememberedURLNode(defaulttags.URLNode):
    """URLNode whose reverse() of plain arguments is remembered."""

    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        plain = isinstance(view_name, str) and all(
            type(value) in _PLAIN for value in (*args, *(v for _, v in kwargs))
        )
        if not plain:
            return super().render(context)
        try:  # as Django's tag finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        try:
            # The request's URL conf, else the settings' (tests override it).
            urlconf = get_urlconf() or settings.ROOT_URLCONF
            url = _reverse(urlconf, get_script_prefix(), view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's {% url %} (same syntax), remembered; see the module's note."""
    node = defaulttags.url(parser, token)
    node.__class__ = RememberedURLNode
    return node
