"""dashboard/widgets.py writes what Django's widget templates write."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe

from dashboard import widgets
from dashboard.forms import RegistrantEditForm

HOSTILE = '<b>"O\'Neil" & co</b>'


@pytest.mark.parametrize(
    "value",
    [None, "", "Ada", HOSTILE, 42, mark_safe("<i>safe</i>")],  # noqa: S308
)
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"required": True, "maxlength": 200, "disabled": False},
        {"aria-describedby": "id_x_help", "class": HOSTILE, "data-x": mark_safe("<>")},  # noqa: S308
    ],
)
@pytest.mark.parametrize(
    "ours,django",
    [(widgets.TextInput, forms.TextInput), (widgets.EmailInput, forms.EmailInput)],
)
def test_inputs_write_what_the_templates_write(ours, django, value, attrs):
    assert ours(attrs=attrs).render("x", value) == django(attrs=attrs).render("x", value)


CHOICES = [
    ("", "---------"),
    ("a", "Attendee"),
    (HOSTILE, HOSTILE),
    ("Group <1>", [("g1", "One & only"), ("g2", "Two")]),
    (3, 3),
]


@pytest.mark.parametrize("value", [None, "a", HOSTILE, "g2", 3, ["a"]])
@pytest.mark.parametrize("attrs", [None, {"required": True, "aria-invalid": "true"}])
def test_selects_write_what_the_templates_write(value, attrs):
    ours = widgets.Select(attrs=attrs, choices=CHOICES).render("pick", value)
    assert ours == forms.Select(attrs=attrs, choices=CHOICES).render("pick", value)


class _DjangoRendered(RegistrantEditForm):
    """The same form, each widget turned back into Django's own class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the form's own copies
            widget = field.widget
            widget.__class__ = next(
                c for c in type(widget).__mro__ if c.__module__ == "django.forms.widgets"
            )


@pytest.mark.parametrize(
    "kwargs",
    [
        {
            "initial": {
                "name": HOSTILE,
                "email": "a@example.com",
                "company": "",
                "guest_type": "vip",
            }
        },
        {"data": {"name": "", "email": "not-an-email", "company": HOSTILE, "guest_type": "alien"}},
    ],
)
def test_the_edit_form_renders_as_with_djangos_widgets(kwargs):
    ours, theirs = RegistrantEditForm(**kwargs), _DjangoRendered(**kwargs)
    assert [type(f.field.widget).__module__ for f in ours] == ["dashboard.widgets"] * 4
    assert [str(f) for f in ours] == [str(f) for f in theirs]
