"""Form widgets that write their HTML in Python instead of through a template.

Django renders each widget through the form renderer's templates (an input
includes attrs.html; a select includes one template per option), which cost
the registrant page about 0.2 ms a field, a quarter of its rendering. These
widgets keep Django's context (get_context: attributes, required, the
aria-* that BoundField adds) and write the same HTML that Django's default
templates write for it, character for character (dashboard/tests/
test_widgets.py compares them): only the template step is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe


def _value(value: Any) -> str:
    # The templates' `value|stringformat:'s'`, escaped unless already safe.
    return conditional_escape(value if isinstance(value, SafeData) else str(value))


def attrs_html(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for
    True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_value(value)}"')
    return "".join(parts)


class _PythonRendered:
    """Replaces Widget._render (the template step) with `html(widget)`,
    which each widget class below defines."""

    html: Callable[[dict[str, Any]], str]

    def _render(self, template_name, context, renderer=None):
        return mark_safe(self.html(context["widget"]))  # noqa: S308  (every part is escaped)


class _Input(_PythonRendered):
    def html(self, widget: dict[str, Any]) -> str:
        """django/forms/widgets/input.html."""
        value = "" if widget["value"] is None else f' value="{_value(widget["value"])}"'
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            mark_safe(value),  # noqa: S308  (escaped by _value)
            mark_safe(attrs_html(widget["attrs"])),  # noqa: S308  (escaped by attrs_html)
        )


class TextInput(_Input, forms.TextInput):
    """forms.TextInput, written in Python."""


class EmailInput(_Input, forms.EmailInput):
    """forms.EmailInput, written in Python."""


class Select(_PythonRendered, forms.Select):
    """forms.Select (one level of option groups), written in Python."""

    def html(self, widget: dict[str, Any]) -> str:
        """django/forms/widgets/select.html and select_option.html."""
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            # Each option's template ends with a line break.
            parts.extend(
                f'\n  <option value="{_value(option["value"])}"{attrs_html(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
