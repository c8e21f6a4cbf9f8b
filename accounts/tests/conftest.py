from testing.servers import use_a_file_for_the_sqlite_test_db


def pytest_configure(config):
    """A file for the SQLite test database: the server processes of the
    revocation tests open it too."""
    use_a_file_for_the_sqlite_test_db()
