"""Staff and access from the pages, end to end in Chromium against one real
ASGI server (pages, API, the gateway under /gateway/ and the websocket in one
process, on the test database): an organiser creates a staff account for one
event; that staff member is refused on another event in the page, the API,
the gateway and the live stream; a token revoked on the page is refused on
the next request."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from registrants.tests.factories import EventFactory, make_registrant
from testing.servers import UvicornServer, database_url_for_current_test_db

from .conftest import LAPTOP, logged_in_pages

pytestmark = pytest.mark.browser

# The close code (or "open") of a websocket to `path`, from the page itself
# (same origin, the page's session cookie).
WEBSOCKET_OUTCOME = """path => new Promise(resolve => {
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + path);
  ws.onmessage = () => { resolve("open"); ws.close(); };
  ws.onclose = event => resolve(event.code);
})"""


@pytest.fixture
def asgi_server(transactional_db):
    with UvicornServer(
        env={
            "DATABASE_URL": database_url_for_current_test_db(),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "LOG_LEVEL": "WARNING",
        }
    ) as server:
        yield server


@pytest.fixture
def open_on_server(browser, asgi_server, users):
    yield from logged_in_pages(browser, asgi_server.url, users)


def test_staff_of_one_event_is_refused_everywhere_on_another(browser, asgi_server, open_on_server):
    hall_a, hall_b = EventFactory(name="Hall A"), EventFactory(name="Hall B")
    badge_b = make_registrant(hall_b, name="Bea Other")
    base = asgi_server.url

    # The organiser creates the account for Hall A only.
    org = open_on_server("organiser", "/staff/")
    org.get_by_label("Username").fill("dora")
    org.get_by_label("First name").fill("Dora")
    org.get_by_label("Role").select_option("checkin_staff")
    org.get_by_label(re.compile(r"Hall A \(")).check()
    org.get_by_role("button", name="Create account").click()
    password = org.locator("#new-password").inner_text()
    expect(org.locator("table.staff")).to_contain_text("Hall A")

    # Dora logs in with it: her event's desk opens, the other event's is a 403.
    context = browser.new_context(viewport=LAPTOP, base_url=base)
    dora = context.new_page()
    dora.goto("/login/")
    dora.get_by_label("Username").fill("dora")
    dora.get_by_label("Password").fill(password)
    dora.get_by_role("button", name="Log in").click()
    expect(dora.get_by_role("link", name="Hall B")).to_have_count(0)
    response = dora.goto(f"/events/{hall_b.pk}/desk/")
    assert response.status == 403
    expect(dora.get_by_text("not assigned to this event")).to_be_visible()
    assert dora.goto(f"/events/{hall_a.pk}/desk/").status == 200

    # The live stream: refused for Hall B, open for Hall A. The consumer
    # closes with 4403 before accepting (live/tests pin the code); the server
    # turns that into a refused handshake, which a browser reports as 1006.
    assert dora.evaluate(WEBSOCKET_OUTCOME, f"/ws/events/{hall_b.pk}/") == 1006
    assert dora.evaluate(WEBSOCKET_OUTCOME, f"/ws/events/{hall_a.pk}/") == "open"

    # The organiser issues her an API token on her page.
    org.get_by_role("link", name="dora").click()
    org.get_by_role("button", name="Create API token").click()
    key = org.locator("#new-key").inner_text()
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as api:
        # The API and the gateway refuse Hall B, and serve Hall A.
        refused = api.get(f"/api/v1/events/{hall_b.pk}/stats/")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "permission_denied"
        assert api.get(f"/api/v1/events/{hall_a.pk}/stats/").status_code == 200
        scan = {"code": badge_b.check_in_code, "mode": "desk", "event": hall_b.pk}
        assert api.post("/api/v1/scan/", json=scan).status_code == 403
        gateway = api.post("/gateway/v1/scan", json=scan)
        assert gateway.status_code == 403
        assert gateway.json()["error"]["code"] == "permission_denied"

        # Revoked on the page: the very next request is refused.
        org.get_by_role("button", name=re.compile(r"^Revoke ")).click()
        expect(org.get_by_text("Token revoked.")).to_be_visible()
        assert api.get(f"/api/v1/events/{hall_a.pk}/stats/").status_code == 401
        assert api.post("/gateway/v1/scan", json=scan).status_code == 401
    badge_b.refresh_from_db()
    assert badge_b.status == "registered"
    context.close()
