"""Production hardening: `check --deploy` is clean, the pages send a
Content-Security-Policy that refuses inline script, and no template needs one."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from testing.servers import ROOT

# Every app of this repository (new apps are checked without being listed).
APPS = tuple(sorted(p.parent.name for p in Path(__file__).resolve().parents[2].glob("*/apps.py")))
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_check_deploy_is_clean_with_the_production_settings():
    # As a server's environment: not the browser tests' async override
    # (dashboard/tests/browser/conftest.py), which check --deploy refuses.
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "dashboard.example.org",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/docs/"])
def test_pages_refuse_inline_script_and_framing(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_api_docs_start_up_script_is_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page)
    [script_url] = re.findall(r'<script src="([^"]*script[^"]*)"', page)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def templates() -> list[Path]:
    return sorted(p for app in APPS for p in (ROOT / app).glob("templates/**/*.html"))


def test_no_template_has_an_inline_script_or_event_handler():
    """Every script is a file under static/ (the policy refuses the rest)."""
    assert templates()
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)[:60]}"
        for path in templates()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER)
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []
