"""Race tests need the SQLite test database in a file, as in production.

Django's default SQLite test database is a shared-cache in-memory database:
it has table-level locks that fail at once with "database table is locked"
(the busy timeout does not apply) and no WAL. C2 is about the embedded
default (a WAL file, IMMEDIATE transactions, a busy timeout), so when these
tests are collected on SQLite the test database becomes a file, unique to
this process so that parallel test runs do not share it. Django deletes it
when the run ends. A TEST NAME set in the settings is left alone.
"""

from __future__ import annotations

from testing.servers import use_a_file_for_the_sqlite_test_db


def pytest_configure(config):
    use_a_file_for_the_sqlite_test_db()
