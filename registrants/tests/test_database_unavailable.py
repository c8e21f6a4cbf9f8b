"""When the database is unreachable the API answers 503 in the error shape.

Run in a subprocess whose DATABASE_URL points at a closed port, so that the
real connection attempt fails the way it does when PostgreSQL is down.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
out = {}
for name, headers in (("token", {"HTTP_AUTHORIZATION": "Bearer abc"}), ("anonymous", {})):
    response = client.get("/api/v1/events/", **headers)
    out[name] = {"status": response.status_code, "body": response.json(),
                 "retry_after": response.get("Retry-After")}
print(json.dumps(out))
"""


def test_unreachable_database_answers_503_in_the_error_shape():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        # Port 9 (discard) is closed on loopback: the connection is refused.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
        "DB_CONNECT_TIMEOUT": "2",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # With a token the lookup needs the database: 503, not 500.
    assert out["token"]["status"] == 503
    assert out["token"]["body"]["error"]["code"] == "service_unavailable"
    assert out["token"]["retry_after"] == "2"
    # Anonymous requests are refused before any query: still the error shape.
    assert out["anonymous"]["status"] in (401, 503)
    assert "error" in out["anonymous"]["body"]
