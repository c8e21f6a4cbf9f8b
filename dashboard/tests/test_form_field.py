"""{% form_field %} writes what the former partials/field.html wrote."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template

from dashboard.event_forms import EventForm
from dashboard.forms import RegistrantEditForm
from dashboard.registration_forms import QuestionForm, RegistrationPageForm

# dashboard/templates/dashboard/partials/field.html as it was, verbatim: the
# markup every form page showed.
FORMER_PARTIAL = """<div class="field{% if field.errors %} field--error{% endif %}">
  <label for="{{ field.id_for_label }}">{{ field.label }}</label>
  {{ field }}
  {% if field.help_text %}<p class="help" id="{{ field.id_for_label }}_help">{{ field.help_text }}</p>{% endif %}
  {% for e in field.errors %}<p class="field__error" role="alert">{{ e }}</p>{% endfor %}
</div>
"""


class Hostile(forms.Form):
    """Labels, help and errors with markup in them, and a field with no id."""

    name = forms.CharField(label="<b>Name</b> & co", help_text='Say "hi" <i>now</i>')
    pick = forms.ChoiceField(choices=[("a", "<A>"), ("b", "B & b")], required=False)
    agree = forms.BooleanField(label="Agree?")

    def clean_name(self):
        raise forms.ValidationError(["<script>x</script> is not a name", "and & twice"])


def _forms():
    yield RegistrantEditForm(initial={"name": "Zoë <O'Brien>", "email": "z@example.com"})
    yield RegistrantEditForm(data={"name": "", "email": "not an email", "guest_type": "nope"})
    yield EventForm()
    yield EventForm(data={"name": "", "capacity": "-1", "date": "soon"})
    yield QuestionForm(data={"label": "", "kind": "bogus"})
    yield RegistrationPageForm()
    yield Hostile(data={"name": "x", "pick": "zzz"})
    yield Hostile(auto_id=False)


@pytest.mark.parametrize("form", list(_forms()), ids=lambda f: type(f).__name__)
def test_the_tag_writes_the_former_partial_byte_for_byte(form):
    if form.is_bound:
        form.is_valid()
    former = Template("{% for field in form %}" + FORMER_PARTIAL + "{% endfor %}")
    ours = Template("{% load dashboard %}{% for field in form %}{% form_field field %}{% endfor %}")
    context = Context({"form": form})
    expected = former.render(context)
    assert ours.render(context) == expected
    assert expected.count('<div class="field') == len(form.fields)
