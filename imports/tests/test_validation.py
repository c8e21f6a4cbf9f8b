"""The import's email check must say what Django's says.

registrants.fields (the check registration and the import share) keeps its
own instance of Django's EmailValidator with the patterns compiled once and
each domain checked once (for speed); these tests pin that it accepts and
refuses exactly the same addresses.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email

from imports.parsing import RawRow
from imports.validation import validate_row

EMAILS = [
    "ada@example.com",
    "Ada.L@example.com",
    "ada+tag@sub.example.co.uk",
    "o'neil@example.ie",
    "ada@localhost",
    "ada@[127.0.0.1]",
    "ada@[IPv6:::1]",
    "ada@[1.2.3.999]",
    "ada@bücher.example",
    "ada@xn--bcher-kva.example",
    "ada@example",
    "ada@-example.com",
    "ada@example-.com",
    "ada@example..com",
    "ada@example.com.",
    "ada@example.c0m",
    "ada@" + "x" * 63 + ".com",
    "ada@" + "x" * 64 + ".com",
    "ada..lovelace@example.com",
    ".ada@example.com",
    '"ada lovelace"@example.com',
    "ädä@example.com",
    "@example.com",
    "ada@",
    "ada",
    "ada@@example.com",
    "a" * 64 + "@example.com",
]


def django_accepts(email: str) -> bool:
    try:
        django_validate_email(email)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("email", EMAILS)
def test_email_accepted_exactly_when_django_accepts_it(email):
    # Twice: the second time the domain's answer comes from the cache.
    for _ in range(2):
        row, problems = validate_row(RawRow(2, {"name": "Ada", "email": email}))
        email_problems = [message for column, message in problems if column == "email"]
        assert (row is not None) == django_accepts(email), (email, problems)
        assert bool(email_problems) == (row is None)


def test_the_list_has_both_answers():
    answers = {django_accepts(email) for email in EMAILS}
    assert answers == {True, False}


@pytest.mark.parametrize("column", ["name", "company"])
@pytest.mark.parametrize("bad", ["\u202e", "\u2066", "\u200f", "\x07", "\x9b"])
def test_imported_names_refuse_control_and_direction_characters(column, bad):
    values = {"name": "Ann Lee", "email": "ann@example.com", "company": "Acme"}
    values[column] += bad
    row, problems = validate_row(RawRow(2, values))
    assert row is None
    assert [c for c, _ in problems] == [column]
    assert f"U+{ord(bad):04X}" in problems[0][1]


def test_imported_names_keep_accents_and_emoji():
    values = {"name": "Zoë 👨\u200d👩\u200d👧", "email": "z@example.com", "company": "Ångström AB"}
    row, problems = validate_row(RawRow(2, values))
    assert problems == [] and row is not None and row.name == values["name"]
