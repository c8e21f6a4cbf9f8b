"""A registrant's fields (name, email, guest type, company): the one check
and the one normalisation that registration and edits (the services), the
API's serializers and the import's row check all apply.

A name is trimmed and its inner whitespace collapsed ("Ada   Lovelace" is
stored as "Ada Lovelace"), after the characters registrants.validation
refuses are looked for; an email keeps its local part and lower-cases its
domain. Each problem is worded twice, because the API speaks DRF's
vocabulary ("This field may not be blank.") while an import's report names
the cell's value; the rule behind both is this module's. See
docs/decisions/0160.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import EmailValidator
from django.db.models import Field, Model

from .errors import ApplicationError
from .models import Company, GuestType, Registrant
from .normalization import clean_company_name, normalize_email
from .validation import text_problem


def _max_length(model: type[Model], field: str) -> int:
    """The length bound of a text column (every one read here has one)."""
    column = model._meta.get_field(field)
    if not isinstance(column, Field) or column.max_length is None:
        raise ImproperlyConfigured(f"{model.__name__}.{field} has no max_length")
    return column.max_length


NAME_MAX = _max_length(Registrant, "name")
EMAIL_MAX = _max_length(Registrant, "email")
COMPANY_MAX = _max_length(Company, "name")

# A guest type by value, or (imports) by label, in any case: "VIP", "Speaker".
GUEST_TYPE_LABELS: dict[str, str] = {
    **{value.casefold(): value for value in GuestType.values},
    **{str(label).casefold(): value for value, label in GuestType.choices},
}
DEFAULT_GUEST_TYPE = str(GuestType.ATTENDEE.value)
_GUEST_TYPE_VALUES = frozenset(GuestType.values)


def _compiled(lazy: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(lazy.pattern, lazy.flags)


class _EmailValidator(EmailValidator):
    """Django's email rules, made cheap enough for 100,000 imported rows:
    Django's patterns are lazy objects that cost a proxy lookup per use (once
    the largest CPU share of an import), so they are compiled once here, and
    each domain, which repeats across a file, is checked once."""

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)

    def validate_domain_part(self, domain_part: str) -> bool:
        return _domain_ok(domain_part)


@functools.lru_cache(maxsize=4096)
def _domain_ok(domain_part: str) -> bool:
    return EmailValidator.validate_domain_part(validate_email, domain_part)


validate_email = _EmailValidator()


def clean_name(value: str) -> str:
    """A person's name as stored: trimmed, inner whitespace collapsed."""
    return " ".join(value.split())


class Problem(NamedTuple):
    """One field's problem, worded for the API (`message`) and for an
    import's report (`report`)."""

    field: str
    message: str
    report: str
    forbidden: bool = False  # a character registrants.validation refuses


class Fields(NamedTuple):
    """The fields as they are stored; None where a field was not given."""

    name: str | None
    email: str | None
    guest_type: str | None
    company: str | None


def _shown(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _too_long(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def _name_problems(name: str) -> list[Problem]:
    if not name:
        return [Problem("name", "This field may not be blank.", "Name is missing.")]
    if len(name) > NAME_MAX:
        return [Problem("name", _too_long(NAME_MAX), f"Name is longer than {NAME_MAX} characters.")]
    return []


def _email_problems(email: str) -> list[Problem]:
    if not email:
        return [Problem("email", "Enter a valid email address.", "Email is missing.")]
    invalid = f'"{_shown(email)}" is not a valid email address.'
    if len(email) > EMAIL_MAX:
        return [Problem("email", _too_long(EMAIL_MAX), invalid)]
    try:
        validate_email(email)
    except ValidationError:
        return [Problem("email", "Enter a valid email address.", invalid)]
    return []


def _guest_type(typed: str, *, labels: bool) -> tuple[str | None, list[Problem]]:
    found = GUEST_TYPE_LABELS.get(typed.casefold()) if labels else None
    if not labels and typed in _GUEST_TYPE_VALUES:
        found = typed
    if found is not None:
        return found, []
    known = ", ".join(GuestType.values)
    return None, [
        Problem(
            "guest_type",
            f'"{typed}" is not a guest type; use one of: {known}.',
            f'Unknown guest type "{_shown(typed)}"; use one of: {known}.',
        )
    ]


def check_registrant_fields(
    *,
    name: str | None = None,
    email: str | None = None,
    guest_type: str | None = None,
    company: str | None = None,
    guest_type_labels: bool = False,
) -> tuple[Fields, list[Problem]]:
    """The given fields cleaned, and every problem they have (in the order
    name, email, guest type, company, then refused characters). A guest
    type is a value ("vip"), or with `guest_type_labels` also a label in
    any case ("VIP")."""
    problems: list[Problem] = []
    name_as_typed, company_as_typed = name, company
    if name is not None:
        name = clean_name(name)
        problems += _name_problems(name)
    if email is not None:
        email = normalize_email(email)
        problems += _email_problems(email)
    if guest_type is not None:
        guest_type, found = _guest_type(guest_type, labels=guest_type_labels)
        problems += found
    if company is not None:
        company = clean_company_name(company)
        if len(company) > COMPANY_MAX:
            problems.append(
                Problem(
                    "company",
                    _too_long(COMPANY_MAX),
                    f"Company is longer than {COMPANY_MAX} characters.",
                )
            )
    # On the value as typed (trimmed): collapsing would turn a tab into a space.
    for field, value in (("name", name_as_typed), ("company", company_as_typed)):
        problem = text_problem(value) if value is not None else None
        if problem is not None:
            problems.append(Problem(field, problem, problem, forbidden=True))
    return Fields(name, email, guest_type, company), problems


def field_errors(problems: list[Problem]) -> dict[str, list[str]]:
    """The problems as the API words them, by field. A refused character is
    reported alone: the value is refused whatever else it has."""
    errors: dict[str, list[str]] = {}
    for problem in [p for p in problems if p.forbidden] or problems:
        errors.setdefault(problem.field, []).append(problem.message)
    return errors


def require_valid_fields(
    *,
    name: str | None = None,
    email: str | None = None,
    guest_type: str | None = None,
    company: str | None = None,
) -> Fields:
    """check_registrant_fields for the services: the cleaned fields, or
    validation_error (400) naming every field with a problem."""
    fields, problems = check_registrant_fields(
        name=name, email=email, guest_type=guest_type, company=company
    )
    errors = field_errors(problems)
    if errors:
        field, messages = next(iter(errors.items()))
        raise ApplicationError("validation_error", f"{field}: {messages[0]}", fields=errors)
    return fields
