"""A real Celery worker with its beat on a private Redis: a change committed
by the test is delivered by the worker, a failed attempt is retried by it
after its backoff, and the signature verifies at the receiver.

PostgreSQL only (the worker is a separate process on the test's database,
so the data must be committed: transactional_db)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from live.tests.servers import ROOT, RedisServer, database_url_for_current_test_db
from registrants.tests.factories import EventFactory, make_registrant
from webhooks.models import Delivery, Endpoint

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    redis = RedisServer()
    redis.start()
    log = tempfile.NamedTemporaryFile(prefix="celery-", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_current_test_db(),
        "REDIS_URL": redis.url,
        "WEBHOOK_POLL_SECONDS": "1",
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--beat",
            "--schedule", str(tmp_path / "beat-schedule"), "--pool=solo", "-l", "info",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    output = Path(log.name).read_text(errors="replace")
    os.unlink(log.name)
    redis.close()
    assert "Traceback" not in output, output[-4000:]


def test_a_worker_delivers_and_retries_after_a_failure(worker, receiver):
    event = EventFactory()
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    receiver.script.append(500)
    make_registrant(event, name="Ada Lovelace")
    requests = receiver.wait_for(2)
    assert len(requests) == 2, "the worker did not deliver and retry in time"
    assert receiver.verified(endpoint.secret) == [True, True]
    assert requests[0]["body"] == requests[1]["body"]
    delivery = Delivery.objects.get()
    for _ in range(200):  # the worker records the answer just after the receiver sends it
        delivery.refresh_from_db()
        if delivery.state == "delivered":
            break
        time.sleep(0.05)
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
