"""Check-in codes never start with a formula character (= + - @ tab CR), so
an export carries them verbatim; migration 0009 gives the old ones that did
a new code."""

from __future__ import annotations

import base64
from importlib import import_module

import pytest
from django.apps import apps

from registrants.models import Registrant, new_check_in_code, new_check_in_codes
from registrants.tests.factories import EventFactory, make_registrant

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIGRATION = import_module("registrants.migrations.0011_check_in_codes_no_formula_start")


def test_no_generated_code_starts_with_a_formula_character():
    """About 1 code in 64 started with "-" before: 100,000 codes would hold
    about 1,560 of them."""
    codes = new_check_in_codes(100_000) + [new_check_in_code() for _ in range(10_000)]
    assert [c for c in codes if c.startswith(FORMULA_STARTS)] == []
    assert len(set(codes)) == len(codes)
    for code in codes[:1000]:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        assert len(raw) * 8 >= 128


def test_codes_still_start_with_every_other_character():
    """Drawing again only when the code starts with "-" keeps the other 63
    first characters (no narrowing beyond the one character)."""
    firsts = {c[0] for c in new_check_in_codes(20_000)}
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert firsts == alphabet - {"-"}


@pytest.mark.django_db
def test_the_migration_gives_a_new_code_to_each_code_starting_with_a_formula_character():
    event = EventFactory()
    people = [make_registrant(event, name=f"P{i}") for i in range(5)]
    for person, bad in zip(people[:3], ["-abc", "=abc", "@abc"], strict=True):
        Registrant.objects.filter(pk=person.pk).update(check_in_code=bad)
    kept = {p.pk: p.check_in_code for p in people[3:]}

    MIGRATION.give_new_codes(apps, None)

    codes = dict(Registrant.objects.values_list("pk", "check_in_code"))
    assert not any(c.startswith(FORMULA_STARTS) for c in codes.values())
    assert all(codes[pk] == code for pk, code in kept.items())
    assert all(len(codes[p.pk]) == 32 for p in people[:3])
