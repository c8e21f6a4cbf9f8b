"""Failed password guesses on /login/ and /admin/login/ are limited per
account and address, per address and per account; the lock ends on time and
cannot be extended by more attempts."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import login_throttle
from registrants.roles import ORGANISER
from registrants.tests.factories import PASSWORD, make_user

MESSAGE = "Too many failed attempts; try again in"
_addresses = itertools.count(1)


@pytest.fixture(autouse=True)
def limits(settings):
    """The shipped limits (the test settings raise them for other tests)."""
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 30
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    settings.LOGIN_THROTTLE_MINUTES = 15
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """Time travel for the locks: `clock.now += 60` moves a minute on."""

    class Clock:
        now = 1_800_000_000.0

    monkeypatch.setattr(login_throttle, "now", lambda: Clock.now)
    return Clock


def browser(address: str | None = None) -> Client:
    return Client(REMOTE_ADDR=address or f"203.0.113.{next(_addresses)}")


def log_in(client: Client, username: str, password: str, path: str = "/login/"):
    return client.post(path, {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_ten_wrong_passwords_lock_the_account_here_even_for_the_right_one(db, clock, path):
    olga = make_user("olga", ORGANISER)
    olga.is_staff = True  # may use the admin
    olga.save()
    client = browser()
    answers = [log_in(client, "olga", f"guess-{n}", path) for n in range(10)]
    assert all(r.status_code == 200 for r in answers)
    assert MESSAGE not in answers[3].content.decode()  # a typo or four: the usual error
    assert f"{MESSAGE} 15 minutes." in answers[4].content.decode()
    assert all(MESSAGE in r.content.decode() for r in answers[4:])
    refused = log_in(client, "olga", PASSWORD, path)
    assert MESSAGE in refused.content.decode() and not logged_in(refused)


def test_the_lock_ends_on_time_and_more_attempts_do_not_extend_it(db, clock):
    make_user("olga", ORGANISER)
    client = browser()
    for n in range(5):
        log_in(client, "olga", f"guess-{n}")
    clock.now += 10 * 60
    for n in range(20):  # hammering the lock does not move its end
        assert MESSAGE in log_in(client, "olga", f"again-{n}").content.decode()
    assert "try again in 5 minutes" in log_in(client, "olga", "x").content.decode()
    clock.now += 5 * 60 + 1
    assert logged_in(log_in(client, "olga", PASSWORD))


def test_other_accounts_and_other_addresses_are_not_affected(db, clock):
    make_user("olga", ORGANISER)
    make_user("sam", ORGANISER)
    attacker = browser("198.51.100.7")
    for n in range(10):
        log_in(attacker, "olga", f"guess-{n}")
    assert logged_in(log_in(browser(), "olga", PASSWORD))  # olga, from her own address
    assert logged_in(log_in(browser("198.51.100.7"), "sam", PASSWORD))  # sam, from there


def test_one_address_trying_many_accounts_is_stopped(db, clock):
    make_user("sam", ORGANISER)
    attacker = browser("198.51.100.8")
    for n in range(30):
        log_in(attacker, f"user-{n}", "guess")
    assert MESSAGE in log_in(attacker, "sam", PASSWORD).content.decode()
    assert logged_in(log_in(browser(), "sam", PASSWORD))


def test_many_addresses_guessing_one_account_lock_it_for_a_while_only(db, clock):
    make_user("olga", ORGANISER)
    for n in range(100):
        log_in(browser(f"192.0.2.{n % 50}"), "olga", f"guess-{n}")
    assert MESSAGE in log_in(browser(), "olga", PASSWORD).content.decode()
    clock.now += 15 * 60 + 1
    assert logged_in(log_in(browser(), "olga", PASSWORD))


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(db, clock, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        make_user("olga", ORGANISER)
        proxy = "10.0.0.1"
        attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9")
        for n in range(5):
            log_in(attacker, "olga", f"guess-{n}")
        assert MESSAGE in log_in(attacker, "olga", PASSWORD).content.decode()
        user = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.200")
        assert logged_in(log_in(user, "olga", PASSWORD))
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
        api_settings.reload()
