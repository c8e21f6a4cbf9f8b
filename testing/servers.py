"""Real server processes for multi-process tests: uvicorn and redis-server,
and what a test needs to hand them (its database URL, a session cookie).

This is the one place tests start servers. It lives at the top level, not
under one app's tests/, because live/, gateway/, dashboard/ (browser) and
imports/ tests all use it. live/tests/servers.py re-exports its public names
for the scripts under bench/ that import them from there.

    with UvicornServer(env={...}) as server:       # config.asgi
        httpx.get(server.url + "/api/v1/events/")
    with UvicornServer(app="gateway.main:app", ready_path="/gateway/openapi.json",
                       env={...}) as server: ...
    with RedisServer() as redis: ...              # redis.url, redis.stop(), redis.start()
    LocalPostgres().stop() / .start()              # the run's own PostgreSQL, for fault tests
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Self

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_current_test_db() -> str:
    """The URL of the database this test run uses (pytest-django's test DB).

    On SQLite that must be a file (use_a_file_for_the_sqlite_test_db): an
    in-memory database cannot be shared with a server process."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("the SQLite test database is in memory; a server cannot share it")
        return f"sqlite:///{name}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def use_a_file_for_the_sqlite_test_db() -> None:
    """From a conftest's pytest_configure: on SQLite, make the test database a
    file unique to this process (Django deletes it at the end), so that a
    uvicorn process or another thread's connection can open it too. A TEST
    NAME already set is left alone."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        return
    test_settings = database.setdefault("TEST", {})
    if not test_settings.get("NAME"):
        test_settings["NAME"] = os.path.join(
            tempfile.gettempdir(), f"registrant-dashboard-test-{os.getpid()}.sqlite3"
        )


class _Server(ABC):
    """`with server:` starts it and closes it (stopped, files removed) after."""

    @abstractmethod
    def start(self) -> None:
        """Start the server and return once it answers."""

    @abstractmethod
    def close(self) -> None:
        """Stop the server and remove what it left on disk."""

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class UvicornServer(_Server):
    """An ASGI app (config.asgi by default) under uvicorn on a loopback port;
    may be stopped and started again on the same port (a restarted server,
    as pages see it). Ready when `ready_path` answers at all.

    `env` goes over this process's environment; DJANGO_SETTINGS_MODULE is
    config.settings.base unless `env` says otherwise."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        app: str = "config.asgi:application",
        ready_path: str = "/api/v1/events/",
        workers: int = 1,
        port: int | None = None,
        send_buffer: int | None = None,
        start_timeout: float = 60,
        own_session: bool = False,
    ) -> None:
        self.env = env
        self.app = app
        self.ready_path = ready_path
        self.workers = workers
        # A small fixed SO_SNDBUF per connection (uvicorn_small_buffers.py).
        self.send_buffer = send_buffer
        self.start_timeout = start_timeout
        # In a session of its own, Ctrl-C reaches only the script that
        # started it (bench/), which then stops it in order.
        self.own_session = own_session
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="uvicorn-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _command(self) -> list[str]:
        if self.send_buffer:
            if self.workers != 1:
                raise ValueError("a small send buffer is for one worker")
            return [
                sys.executable,
                "-m",
                "testing.uvicorn_small_buffers",
                self.app,
                "--port",
                str(self.port),
                "--send-buffer",
                str(self.send_buffer),
            ]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
        ]

    def start(self, timeout: float | None = None) -> None:
        self.proc = subprocess.Popen(
            self._command(),
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=self.own_session,
        )
        deadline = time.monotonic() + (timeout or self.start_timeout)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()[-3000:]}")
            try:
                httpx.get(f"{self.url}{self.ready_path}", timeout=1)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if not self.running:
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def close(self) -> None:
        self.stop()
        self.log.close()
        os.unlink(self.log.name)


@contextlib.contextmanager
def uvicorn_server(*, env: dict[str, str], workers: int = 1, app: str = "config.asgi:application"):
    """Serve `app` (config.asgi) on a free loopback port; yields the base URL."""
    with UvicornServer(env=env, workers=workers, app=app) as server:
        yield server.url


class RedisServer(_Server):
    """A private redis-server that a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-test-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class LocalPostgres:
    """The test run's own PostgreSQL server (scripts/test-services.sh), which
    a fault test stops and starts again, on the same port with the same
    options. Connections of this process die with it: start() closes
    Django's, so the test and its teardown reconnect."""

    def __init__(self) -> None:
        try:
            self.bin, self.data = os.environ["TEST_PG_BIN"], os.environ["TEST_PG_DATA"]
        except KeyError:
            raise RuntimeError(
                "TEST_PG_BIN and TEST_PG_DATA are unset: start the test services "
                "with scripts/test-services.sh"
            ) from None
        # The server's command line as it was started, less the data directory.
        argv = shlex.split(Path(self.data, "postmaster.opts").read_text())[1:]
        at = argv.index("-D")
        self.options = shlex.join(argv[:at] + argv[at + 2 :])
        self.stopped = False

    def _pg_ctl(self, *args: str) -> None:
        command = [f"{self.bin}/pg_ctl", "-D", self.data, "-w", *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, their clients see the socket close."""
        self._pg_ctl("-m", "fast", "stop")
        self.stopped = True

    def start(self) -> None:
        """Start again and wait until it accepts connections."""
        log = Path(self.data).parent / "server.log"
        self._pg_ctl("-l", str(log), "-o", self.options, "start")
        self.stopped = False
        from django.db import connections

        connections.close_all()

    def start_if_stopped(self) -> None:
        """For a test's teardown: never leave the run without its database."""
        if self.stopped:
            self.start()


def session_cookie_for(user) -> str:
    """A logged-in session for `user`, as the browser would hold after login."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


class ThrowawayPostgres:
    """The test run's own PostgreSQL (scripts/test-services.sh), which a
    fault test may stop and start again: `with ThrowawayPostgres().stopped(): ...`.
    It starts again with the options it was started with (postmaster.opts)."""

    def __init__(self) -> None:
        self.bin = os.environ.get("TEST_PG_BIN", "")
        self.data = os.environ.get("TEST_PG_DATA", "")
        if not (self.bin and self.data):
            raise RuntimeError("TEST_PG_BIN/TEST_PG_DATA unset: start scripts/test-services.sh")

    def _pg_ctl(self, *args: str) -> None:
        command = [f"{self.bin}/pg_ctl", "-D", self.data, *args]
        if os.geteuid() == 0:  # the cluster belongs to the postgres user
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        self._options = shlex.split(Path(self.data, "postmaster.opts").read_text())[1:]
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        log = str(Path(self.data).parent / "server.log")
        self._pg_ctl("-l", log, "-w", "-t", "60", "-o", shlex.join(self._options), "start")

    @contextlib.contextmanager
    def stopped(self):
        self.stop()
        try:
            yield self
        finally:
            self.start()
