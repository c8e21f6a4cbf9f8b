"""{% url %} remembers what it reversed and answers what Django's tag answers."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, engines
from django.template.defaulttags import URLNode
from django.urls import NoReverseMatch, set_script_prefix

from dashboard.templatetags import remembered_urls

TEMPLATES = [
    "{% url 'dashboard:events' %}",
    "{% url 'dashboard:registrant' 42 %}",
    "{% url 'dashboard:registrant' pk %}",
    "{% url 'dashboard:registrant' pk=pk %}",
    "{% url name pk %}",
    "{% url 'dashboard:registrant' pk as link %}[{{ link }}]",
    "{% url 'no-such-view' as link %}[{{ link }}]",
    "{% url 'dashboard:registrants' event %}",  # not a plain id: Django's own path
    "{% url 'admin:index' %}",
]
CONTEXT = {
    "pk": 7,
    "name": "dashboard:registrant",
    "event": type("E", (), {"__str__": lambda s: "3"})(),
}


def _django_engine() -> Engine:
    return Engine(app_dirs=False, builtins=[])  # the default tags only


@pytest.mark.parametrize("source", TEMPLATES)
def test_the_tag_answers_as_djangos_does(source):
    ours = engines["django"].from_string(source)
    assert type(ours.template.nodelist[0]) is remembered_urls.RememberedURLNode
    theirs = _django_engine().from_string(source)
    assert type(theirs.nodelist[0]) is URLNode
    for _ in range(2):  # once reversed, once remembered
        assert ours.render(CONTEXT) == theirs.render(Context(CONTEXT))


def test_a_view_that_does_not_reverse_still_raises():
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'no-such-view' %}").render({})


def test_a_second_reverse_is_remembered():
    template = engines["django"].from_string("{% url 'dashboard:registrant' 12345 %}")
    template.render({})
    hits = remembered_urls._reverse.cache_info().hits
    assert template.render({}) == "/registrants/12345/"
    assert remembered_urls._reverse.cache_info().hits == hits + 1


def test_the_script_prefix_is_part_of_what_is_remembered():
    template = engines["django"].from_string("{% url 'dashboard:events' %}")
    try:
        set_script_prefix("/tenant/")
        assert template.render({}) == "/tenant/"
    finally:
        set_script_prefix("/")
    assert template.render({}) == "/"


def test_the_url_conf_is_part_of_what_is_remembered(settings):
    template = engines["django"].from_string("{% url 'dashboard:events' %}")
    assert template.render({}) == "/"
    settings.ROOT_URLCONF = "dashboard.tests.urls_mounted"
    assert template.render({}) == "/mounted/"
