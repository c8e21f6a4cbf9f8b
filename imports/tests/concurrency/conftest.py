"""These tests run an import beside other writers, which on SQLite needs
the test database in a file (WAL, IMMEDIATE transactions, a busy timeout),
as in production: see registrants/tests/concurrency/conftest.py."""

from __future__ import annotations

from testing.servers import use_a_file_for_the_sqlite_test_db


def pytest_configure(config):
    use_a_file_for_the_sqlite_test_db()
