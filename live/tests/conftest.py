"""On SQLite the test database is a file, so that the uvicorn processes of
the server tests open the same database as the test."""

from testing.servers import use_a_file_for_the_sqlite_test_db


def pytest_configure(config):
    use_a_file_for_the_sqlite_test_db()
