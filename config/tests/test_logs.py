"""Logs: one JSON object per line with the request's ids, an X-Request-ID on
every response, the id carried into Celery tasks, and no personal data."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
import threading

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.test import Client

from accounts.tokens import token_create
from config import logs
from registrants.tests.factories import PASSWORD, make_registrant
from testing.servers import ROOT


@pytest.fixture
def log_lines():
    """Every record logged (any logger, any thread, DEBUG and up) while the
    test runs, formatted as production formats it: one JSON object each."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def request_lines(lines):
    return [line for line in lines if line["logger"] == "request"]


@pytest.mark.django_db
def test_a_request_is_one_json_line_with_its_ids(log_lines, organiser, event):
    _, key = token_create(user=organiser)
    response = Client().get(
        f"/api/v1/events/{event.pk}/stats/",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_X_REQUEST_ID="door-7:req-0001",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "door-7:req-0001"
    [line] = request_lines(log_lines())
    assert line["level"] == "INFO" and line["time"]
    assert line["request_id"] == "door-7:req-0001"
    assert line["user_id"] == organiser.pk
    assert line["event_id"] == event.pk
    assert line["path"] == f"/api/v1/events/{event.pk}/stats/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)


@pytest.mark.parametrize("header", ["two words", "x" * 129, "id\nforged line", "", "-leading"])
@pytest.mark.django_db
def test_an_insane_request_id_is_replaced(log_lines, header):
    response = Client().get("/login/", HTTP_X_REQUEST_ID=header)
    made = response["X-Request-ID"]
    assert made != header and len(made) == 32 and made.isalnum()
    assert request_lines(log_lines())[0]["request_id"] == made


@pytest.mark.django_db
def test_probes_are_not_logged(log_lines):
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert request_lines(log_lines()) == []


@pytest.mark.django_db
def test_no_names_emails_codes_passwords_or_tokens_in_logs(log_lines, organiser, staff, event):
    """A login, a registration and scans (one known code, one unknown): the
    log holds ids, never the personal data or the secrets in the requests."""
    person = make_registrant(event, name="Zebedee Quintrell", email="zebedee.q@example.net")
    _, staff_token = token_create(user=staff)
    _, org_token = token_create(user=organiser)
    web = Client()
    assert web.post("/login/", {"username": "olga", "password": PASSWORD}).status_code == 302
    wrong = Client().post("/login/", {"username": "olga", "password": "wrong-Pa55"})
    assert wrong.status_code == 200
    api = Client(HTTP_AUTHORIZATION=f"Bearer {org_token}")
    created = api.post(
        "/api/v1/registrants/",
        {"event": event.pk, "name": "Ottilie Marchbank", "email": "ottilie.m@example.org"},
        content_type="application/json",
    )
    assert created.status_code == 201
    door = Client(HTTP_AUTHORIZATION=f"Bearer {staff_token}")
    statuses = [
        door.post(
            "/api/v1/scan/",
            {"code": code, "mode": "entry", "event": event.pk},
            content_type="application/json",
        ).status_code
        for code in (person.check_in_code, created.json()["check_in_code"], "no-such-code-123456")
    ]
    assert statuses == [200, 200, 404]  # real scans: their answers name the person
    text = "\n".join(json.dumps(line) for line in log_lines())
    assert len(request_lines(log_lines())) == 6
    forbidden = [
        "Zebedee",
        "Quintrell",
        "zebedee.q@example.net",
        "Ottilie",
        "Marchbank",
        "ottilie.m@example.org",
        person.check_in_code,
        created.json()["check_in_code"],
        "no-such-code-123456",
        PASSWORD,
        "wrong-Pa55",
        staff_token,
        org_token,
    ]
    assert [s for s in forbidden if s in text] == []


@pytest.mark.django_db
def test_celery_tasks_log_with_the_senders_request_id(log_lines):
    """A real worker (in a thread, in-memory broker) runs a task sent while a
    request id is bound; the task's line carries it, in the headers."""
    # No Django fixup: it would close the test's database connection.
    app = Celery("request-id-test", broker="memory://", set_as_current=False, fixups=[])
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False  # as the settings say
    ran = threading.Event()

    @app.task(name="tests.log_something")
    def log_something():
        logging.getLogger("tests.task").info("inside the task")
        ran.set()

    app.loader.import_module("celery.contrib.testing.tasks")  # the ping task it expects
    # The signal handlers are connected by config.celery_app.
    from config.celery_app import app as our_app

    # The embedded worker sets up logging (root level, a handler) and makes
    # its app the default: all put back after.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="DEBUG"):
            tokens = logs.bind(request_id="upload-42")
            try:
                log_something.delay()
            finally:
                logs.unbind(tokens)
            assert ran.wait(30)
    finally:
        root.handlers[:], root.level = handlers, level
        our_app.set_default()
        our_app.set_current()
    [line] = [line for line in log_lines() if line["logger"] == "tests.task"]
    assert line["request_id"] == "upload-42"


def _log_a_line(settings_module: str, **env: str) -> str:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('probe').warning('hello %s', 'there')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "SECRET_KEY": secrets.token_urlsafe(50),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr.strip().splitlines()[-1]


def test_production_logs_json_and_the_default_is_plain_text():
    line = json.loads(_log_a_line("config.settings.production"))
    assert {k: line[k] for k in ("level", "logger", "message")} == {
        "level": "WARNING",
        "logger": "probe",
        "message": "hello there",
    }
    assert "request_id" not in line  # none outside a request
    assert _log_a_line("config.settings.base").endswith("WARNING probe hello there")
    assert json.loads(_log_a_line("config.settings.base", LOG_FORMAT="json"))["logger"] == "probe"


def test_json_lines_leave_out_uvicorns_coloured_copy_of_the_message():
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started", (), None)
    record.color_message = "\x1b[36mStarted\x1b[0m"
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "Started" and "color_message" not in line
