"""What the pages' rendering relies on to stay cheap."""

from __future__ import annotations

from django.template import engines

from dashboard.templatetags.dashboard import status_badge


def test_templates_are_parsed_once_per_process():
    """The cached loader (Django's default when no loaders are configured):
    a page's templates are read and parsed once, not on every request."""
    loaders = engines["django"].engine.template_loaders
    assert [type(loader).__module__ for loader in loaders] == ["django.template.loaders.cached"]


def test_a_status_badge_is_the_span_the_pages_styled():
    """The same HTML as the inclusion template it replaced, escaped."""
    assert (
        status_badge("checked_in") == '<span class="status status--checked_in">Checked in</span>\n'
    )
    assert status_badge("") == '<span class="status status--new">New</span>\n'
    assert status_badge('"><script>') == (
        '<span class="status status--&quot;&gt;&lt;script&gt;">New</span>\n'
    )
