"""On SQLite the test database is a file, so that the server processes of
these tests open the same database as the test."""

import pytest

from config import health
from testing.servers import use_a_file_for_the_sqlite_test_db


def pytest_configure(config):
    use_a_file_for_the_sqlite_test_db()


@pytest.fixture(autouse=True)
def _fresh_probe_state():
    health.forget()
    yield
    health.forget()
