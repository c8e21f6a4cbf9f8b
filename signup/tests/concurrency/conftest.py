"""Race tests need the SQLite test database in a file, as in production
(registrants/tests/concurrency/conftest.py says why)."""

from __future__ import annotations

from testing.servers import use_a_file_for_the_sqlite_test_db


def pytest_configure(config):
    use_a_file_for_the_sqlite_test_db()
