"""The deployment's split (decision 0240): nginx with deploy/nginx/nginx.conf
sends /ws/ to the live processes and the API to the web ones; a change
made through the API still reaches a dashboard, which may ask for a resync.
(A Redis outage between two processes: test_multiprocess.py.)"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from accounts.tokens import token_create
from registrants.tests.factories import EventFactory, make_registrant, make_user
from testing.servers import (
    ROOT,
    database_url_for_current_test_db,
    free_port,
    session_cookie_for,
    uvicorn_server,
)

from .frames import recv_message

# Every response says which upstream answered it (the websocket's 101 too).
UPSTREAM_HEADER = "add_header X-Upstream $upstream_addr always;"


@contextlib.contextmanager
def nginx_in_front(web: str, live: str):
    """deploy/nginx/nginx.conf with its upstreams on `web` and `live`
    (host:port); yields its base URL."""
    workdir = Path(tempfile.mkdtemp(prefix="nginx-live-"))
    port = free_port()
    text = (ROOT / "deploy/nginx/nginx.conf").read_text()
    for name, target in (("web1:8000", web), ("web2:8000", web), ("gateway:8001", web),
                         ("live1:8002", live), ("live2:8002", live)):  # fmt: skip
        assert f"server {name}" in text, name
        text = text.replace(f"server {name}", f"server {target}")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("/var/cache/nginx/static", str(workdir / "cache"))
    text = text.replace("access_log off;", f"access_log off;\n    {UPSTREAM_HEADER}")
    (workdir / "nginx.conf").write_text(text)
    (workdir / "cache").mkdir()
    os.chmod(workdir, 0o711)  # noqa: S103  (nginx's workers must pass through)
    flags = f"pid {workdir}/nginx.pid; error_log {workdir}/error.log;"
    if os.geteuid() == 0:
        shutil.chown(workdir / "cache", "www-data")
        flags = "user www-data; " + flags
    subprocess.run(["nginx", "-c", str(workdir / "nginx.conf"), "-g", flags], check=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((workdir / "nginx.pid").read_text()), signal.SIGQUIT)
        time.sleep(0.2)
        shutil.rmtree(workdir, ignore_errors=True)


def next_of(ws, wanted_type: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = recv_message(ws, timeout=max(0.1, deadline - time.monotonic()))
        if message["type"] == wanted_type:
            return message


def test_the_images_live_role_serves_the_live_app_on_8002_without_deflate(tmp_path):
    """deploy/entrypoint.sh's `live` role: config.live_asgi (websockets,
    no gateway, so no lifespan), on the port nginx's live upstream names,
    per-message deflate off."""
    fake = tmp_path / "uvicorn"
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    args = subprocess.run(
        ["sh", str(ROOT / "deploy/entrypoint.sh"), "live"],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "REDIS_URL": "redis://127.0.0.1:6379/0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert args[0] == "config.live_asgi:application"
    assert args[args.index("--port") + 1] == "8002"
    assert args[args.index("--ws-per-message-deflate") + 1] == "false"
    assert args[args.index("--lifespan") + 1] == "off"


def test_the_live_app_leaves_the_gateway_and_fastapi_unimported():
    """The live role's reason to have an app of its own: FastAPI and
    pydantic (about 17 MB per process) stay out, while its websocket stack
    is config.asgi's own."""
    probe = (
        "import sys, config.live_asgi as live;"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "print(sorted(m for m in ('fastapi', 'pydantic', 'gateway.app', 'gateway.api_scan')"
        " if m in sys.modules));"
        "print(type(live.application.application_mapping['websocket']).__name__)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    ran = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert ran.stdout.split("\n")[:2] == ["[]", "SameOriginValidator"]


def test_the_live_role_refuses_to_start_without_redis(tmp_path):
    """A live process hears of changes only through Redis: without
    REDIS_URL its dashboards would open and never move, so it says so."""
    fake = tmp_path / "uvicorn"
    fake.write_text("#!/bin/sh\necho started\n")
    fake.chmod(0o755)
    ran = subprocess.run(
        ["sh", str(ROOT / "deploy/entrypoint.sh"), "live"],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 2 and "started" not in ran.stdout
    assert "REDIS_URL" in ran.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_through_nginx_the_socket_is_on_a_live_process_and_gets_the_apis_change(redis_server):
    event = EventFactory(capacity=50)
    registrant = make_registrant(event)
    organiser = make_user("olga", "organiser")
    token = token_create(user=organiser)[1]
    env = {"DATABASE_URL": database_url_for_current_test_db(), "REDIS_URL": redis_server.url}
    with (
        uvicorn_server(env=env) as web,
        uvicorn_server(env=env, app="config.live_asgi:application") as live,
    ):
        web_addr, live_addr = web.removeprefix("http://"), live.removeprefix("http://")
        with nginx_in_front(web_addr, live_addr) as base:
            with connect(
                base.replace("http://", "ws://") + f"/ws/events/{event.pk}/",
                additional_headers={"Cookie": session_cookie_for(organiser), "Origin": base},
                open_timeout=10,
            ) as ws:
                assert ws.response is not None
                assert ws.response.headers["X-Upstream"] == live_addr
                assert next_of(ws, "numbers")["by_status"]["registered"] == 1
                response = httpx.post(
                    f"{base}/api/v1/registrants/{registrant.pk}/transitions/",
                    json={"to_status": "checked_in"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert response.status_code == 200, response.text
                assert response.headers["X-Upstream"] == web_addr
                change = next_of(ws, "change")
                assert change["registrant"]["id"] == registrant.pk
                ws.send('{"type": "resync"}')
                numbers = next_of(ws, "numbers")
                assert numbers["by_status"]["checked_in"] == 1
