"""Moved to testing/servers.py, the one server-start helper of every app's
tests. These names stay importable from here for the scripts under bench/
(bench/live_latency.py imports session_cookie_for); new code imports
testing.servers."""

from testing.servers import (
    ROOT,
    RedisServer,
    UvicornServer,
    database_url_for_current_test_db,
    free_port,
    session_cookie_for,
    use_a_file_for_the_sqlite_test_db,
    uvicorn_server,
)

__all__ = [
    "ROOT",
    "RedisServer",
    "UvicornServer",
    "database_url_for_current_test_db",
    "free_port",
    "session_cookie_for",
    "use_a_file_for_the_sqlite_test_db",
    "uvicorn_server",
]
