"""Checking one imported row: every problem, each with its column.

The rules are the ones registrant_register applies (a name, a valid email
with its domain lower-cased, a known guest type, the model's lengths), but
an import reports every problem of a row instead of stopping at the first,
and accepts guest types by label and in any case ("VIP", "Speaker").
"""

from __future__ import annotations

import functools
import re

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import EmailValidator
from django.db.models import Field, Model

from registrants.models import Company, GuestType, Registrant
from registrants.normalization import clean_company_name, normalize_email
from registrants.services import ImportedRegistrant
from registrants.validation import text_problem

from .parsing import RawRow


def _max_length(model: type[Model], field: str) -> int:
    """The length bound of a text column (every one read here has one)."""
    column = model._meta.get_field(field)
    if not isinstance(column, Field) or column.max_length is None:
        raise ImproperlyConfigured(f"{model.__name__}.{field} has no max_length")
    return column.max_length


NAME_MAX = _max_length(Registrant, "name")
EMAIL_MAX = _max_length(Registrant, "email")
COMPANY_MAX = _max_length(Company, "name")

GUEST_TYPES: dict[str, str] = {
    **{value.casefold(): value for value in GuestType.values},
    **{str(label).casefold(): value for value, label in GuestType.choices},
}

DEFAULT_GUEST_TYPE = str(GuestType.ATTENDEE.value)  # read once, not per row

Problem = tuple[str, str]  # (column, message)


def _compiled(lazy: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(lazy.pattern, lazy.flags)


class _EmailValidator(EmailValidator):
    """Django's email rules (the ones registrant_register applies), made
    cheap enough for 100,000 rows: Django's patterns are lazy objects that
    cost a proxy lookup per use (this was the largest CPU share of an
    import), so the same patterns are compiled once here, and each domain,
    which repeats across a file, is checked once."""

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)

    def validate_domain_part(self, domain_part: str) -> bool:
        return _domain_ok(domain_part)


@functools.lru_cache(maxsize=4096)
def _domain_ok(domain_part: str) -> bool:
    return EmailValidator.validate_domain_part(validate_email, domain_part)


validate_email = _EmailValidator()


def _shown(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _text_problems(**values: str) -> list[Problem]:
    """The control and text-direction characters registrant_register refuses."""
    found = ((column, text_problem(value)) for column, value in values.items())
    return [(column, problem) for column, problem in found if problem is not None]


def validate_row(raw: RawRow) -> tuple[ImportedRegistrant | None, list[Problem]]:
    """The row ready to insert, or None and its problems."""
    problems: list[Problem] = []
    values = raw.values
    if "\x00" in "".join(values.values()):
        for column, value in values.items():
            if "\x00" in value:
                problems.append((column, "Contains a NUL character; remove it."))
        return None, problems

    name = " ".join(values.get("name", "").split())
    if not name:
        problems.append(("name", "Name is missing."))
    elif len(name) > NAME_MAX:
        problems.append(("name", f"Name is longer than {NAME_MAX} characters."))

    email = normalize_email(values.get("email", ""))
    if not email:
        problems.append(("email", "Email is missing."))
    else:
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            problems.append(("email", f'"{_shown(email)}" is not a valid email address.'))

    typed = values.get("guest_type", "").strip()
    guest_type = GUEST_TYPES.get(typed.casefold()) if typed else DEFAULT_GUEST_TYPE
    if guest_type is None:
        problems.append(
            (
                "guest_type",
                f'Unknown guest type "{_shown(typed)}"; use one of: {", ".join(GuestType.values)}.',
            )
        )

    company = clean_company_name(values.get("company", ""))
    if len(company) > COMPANY_MAX:
        problems.append(("company", f"Company is longer than {COMPANY_MAX} characters."))
    problems += _text_problems(name=name, company=company)

    if problems or guest_type is None:  # an unknown guest type is a problem
        return None, problems
    return ImportedRegistrant(raw.number, name, email, guest_type, company), []
