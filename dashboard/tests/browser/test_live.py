"""The live pages in headless Chromium against a real ASGI server.

pytest-django's live_server speaks WSGI only, so these tests start uvicorn
(config.asgi: HTTP and websockets in one process) on the test run's
PostgreSQL database, with Redis as the channel layer (they run on
production's stack only; scripts/run-tests.sh says why; this directory's
conftest would give them a file on SQLite). The test logs in through the page,
then changes statuses from outside it: through the API with a token (httpx),
or in the database while the server is down. Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import random
import time

import httpx
import pytest
from playwright.sync_api import expect

from accounts.tokens import token_create
from dashboard.presenters import tiles_from_counts
from registrants import services
from registrants.lifecycle import Status
from registrants.models import Source
from testing.servers import UvicornServer, database_url_for_current_test_db

from .conftest import logged_in_pages

# Run on PostgreSQL + Redis only, production's stack (scripts/run-tests.sh
# says why); on SQLite the root conftest deselects them.
pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture(scope="module")
def module_asgi_server(django_db_setup):
    """One uvicorn for this module's tests (a start costs more than most of
    them). It keeps nothing of a test but what is in the database, which the
    test's flush empties."""
    with UvicornServer(
        env={
            "DATABASE_URL": database_url_for_current_test_db(),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",  # static files from the apps
            "LOG_LEVEL": "WARNING",
        }
    ) as server:
        yield server


@pytest.fixture
def asgi_server(module_asgi_server, transactional_db):
    """The module's uvicorn, running: a test may stop and start it (same
    port); one that failed while it was stopped does not leave it so."""
    if not module_asgi_server.running:
        module_asgi_server.start()
    return module_asgi_server


@pytest.fixture
def open_live(browser, asgi_server, users):
    """open_live(role, path) -> a page logged in through the login form (uvicorn)."""
    yield from logged_in_pages(browser, asgi_server.url, users)


@pytest.fixture
def api(asgi_server, users):
    """An httpx client of the organiser's token, outside any page."""
    token = token_create(user=users["organiser"])[1]
    with httpx.Client(
        base_url=asgi_server.url, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def move(api, registrant, to_status: str) -> None:
    """Change a status through the API, outside any page."""
    response = api.post(
        f"/api/v1/registrants/{registrant.pk}/transitions/", json={"to_status": to_status}
    )
    assert response.status_code == 200, response.text


def shown_tiles(page) -> dict[str, tuple[str, str]]:
    rows = page.eval_on_selector_all(
        "[data-tile]",
        """els => els.map(e => [
        e.dataset.tile, e.querySelector('[data-value]').textContent,
        e.querySelector('[data-percent]').textContent])""",
    )
    return {key: (value, percent) for key, value, percent in rows}


def test_dashboard_follows_an_api_change_within_a_second_and_comes_back_after_a_restart(
    open_live, asgi_server, api, conference, users, shoot
):
    event, ada, dennis = conference["event"], conference["ada"], conference["dennis"]
    page = open_live("viewer", f"/events/{event.pk}/dashboard/")
    indicator = page.locator("#live-state")
    expect(indicator).to_have_attribute("data-state", "live", timeout=15_000)
    expect(indicator).to_contain_text("Live")
    checked_in = page.locator('[data-tile="checked_in"] [data-value]')
    expect(checked_in).to_have_text("2")
    page.evaluate("window.notReloaded = true")
    # The page notes the moment the tile changes (epoch ms, the same clock as
    # time.time() here): Playwright's own polling would add its intervals.
    page.evaluate("""() => {
        const value = document.querySelector('[data-tile="checked_in"] [data-value]');
        new MutationObserver(() => {
            if (value.textContent === "3" && !window.tileChangedAt) window.tileChangedAt = Date.now();
        }).observe(value, { childList: true, characterData: true, subtree: true });
    }""")

    move(api, ada, Status.CHECKED_IN)
    answered_ms = time.time() * 1000
    page.wait_for_function("() => window.tileChangedAt", timeout=1_000)
    expect(checked_in).to_have_text("3")
    assert page.evaluate("window.tileChangedAt") - answered_ms < 1000
    assert page.evaluate("window.notReloaded") is True
    newest = page.locator("#feed tr").first
    expect(newest).to_contain_text("Ada Lovelace")
    expect(newest).to_contain_text("olga")
    expect(newest).to_contain_text("API")

    # The tiles the page computed equal the server's numbers: the counts of
    # the stats endpoint, the percentages of numbers.json (presenters.py).
    stats = api.get(f"/api/v1/events/{event.pk}/stats/").json()
    numbers = page.request.get(f"/events/{event.pk}/dashboard/numbers.json").json()
    expected = {t["key"]: (str(t["value"]), str(t["percent"])) for t in numbers["tiles"]}
    assert shown_tiles(page) == expected
    for status in Status:
        assert expected[status.value][0] == str(stats["by_status"][status.value])
    for key in ("attendees", "on_site", "seats_left"):
        assert expected[key][0] == str(stats[key])
    shoot(page, "live-dashboard")

    # The server goes away: the page says so and falls back to polling...
    asgi_server.stop()
    expect(indicator).to_have_attribute("data-state", "reconnecting", timeout=15_000)
    expect(indicator).to_contain_text("Reconnecting")
    shoot(page, "live-dashboard-reconnecting")
    # ...a change lands while nobody can push it...
    services.registrant_change_status(
        registrant_id=dennis.pk,
        to_status=Status.CHECKED_IN,
        actor=users["staff"],
        source=Source.SCAN,
    )
    # ...and once the server is back on the same port the page is live again
    # and shows the change it missed.
    asgi_server.start()
    expect(indicator).to_have_attribute("data-state", "live", timeout=30_000)
    expect(checked_in).to_have_text("4", timeout=5_000)
    assert page.evaluate("window.notReloaded") is True


def test_list_rows_chips_and_the_desks_last_scans_follow_changes_made_elsewhere(
    open_live, api, conference, shoot
):
    event, ada, dennis = conference["event"], conference["ada"], conference["dennis"]
    listing = open_live("organiser", f"/events/{event.pk}/registrants/")
    expect(listing.locator("#live-state")).to_have_attribute("data-state", "live", timeout=15_000)
    ada_row = listing.locator(f"#row-{ada.pk}")
    ada_row.locator(".row-select").check()
    expect(listing.locator("#selected-count")).to_have_text("1 selected")
    expect(listing.locator("#count-registered")).to_have_text("3")

    desk = open_live("staff", f"/events/{event.pk}/desk/")
    expect(desk.locator("#live-state")).to_have_attribute("data-state", "live", timeout=15_000)
    box = desk.get_by_label("Scan a badge or type a name")
    box.press_sequentially(dennis.check_in_code, delay=5)
    box.press("Enter")
    dennis_scan = desk.locator(f'#recent-scans [data-registrant-id="{dennis.pk}"]')
    expect(dennis_scan.locator("[data-recent-status]")).to_have_text("Checked in")

    # Someone else checks Ada in and lets Dennis in, through the API.
    move(api, ada, Status.CHECKED_IN)
    move(api, dennis, Status.ENTERED)
    expect(ada_row.locator(".col-status")).to_have_text("Checked in", timeout=3_000)
    expect(ada_row).to_have_attribute("data-status", "checked_in")
    # Updated in place: the tick survived, and the buttons are those of now.
    expect(ada_row.locator(".row-select")).to_be_checked()
    expect(listing.locator("#selected-count")).to_have_text("1 selected")
    expect(ada_row.get_by_role("button", name="Undo check-in: Ada Lovelace")).to_be_visible()
    expect(listing.locator("#count-registered")).to_have_text("1", timeout=3_000)
    expect(listing.locator("#count-checked_in")).to_have_text("3")
    expect(dennis_scan.locator("[data-recent-status]")).to_have_text("Entered", timeout=3_000)
    shoot(listing, "live-list")
    shoot(desk, "live-desk")

    # The row's own buttons still work after the in-place update.
    ada_row.get_by_role("button", name="Let in: Ada Lovelace").click()
    expect(ada_row.locator(".col-status")).to_have_text("Entered")
    expect(listing.locator("#count-entered")).to_have_text("6", timeout=3_000)

    # A deletion elsewhere erases the person (live action "erased"): the
    # row stays, re-read, marked erased, with its status kept.
    assert api.delete(f"/api/v1/registrants/{ada.pk}/").status_code == 204
    erased_row = listing.locator(f"#row-{ada.pk}")
    expect(erased_row.locator(".col-name")).to_contain_text("Erased registrant", timeout=3_000)
    expect(erased_row.locator(".col-name .tag")).to_have_text("erased")
    expect(erased_row.locator(".col-status")).to_have_text("Entered")


def test_the_pages_tiles_are_computed_exactly_as_the_server_computes_them(open_as, conference):
    """computeTiles (JavaScript) against presenters.tiles_from_counts over
    many counts, ties of Python's round() (6.25 -> 6.2) included."""
    page = open_as("viewer", f"/events/{conference['event'].pk}/dashboard/")
    page.wait_for_function("() => !!(window.eventDashboard && window.eventDashboard.computeTiles)")
    statuses = [s.value for s in Status]
    rng = random.Random(4)
    cases = [
        ({s: 0 for s in statuses}, 0),
        ({s: 0 for s in statuses}, 100),
        *(
            (
                {
                    "waitlisted": w,
                    "registered": r,
                    "checked_in": c,
                    "entered": e,
                    "exited": x,
                    "cancelled": k,
                },
                cap,
            )
            for w, r, c, e, x, k, cap in [
                (0, 1, 0, 0, 0, 15, 16),
                (0, 3, 0, 0, 0, 13, 80),
                (0, 1, 2, 3, 4, 90, 5),
                (0, 7, 7, 7, 7, 7, 3),
                (9, 2, 0, 1, 0, 4, 3),  # the waitlisted are no attendees
            ]
        ),
    ]
    for _ in range(400):
        counts = {
            s: rng.choice([0, 1, 2, 3, rng.randint(0, 40), rng.randint(0, 5000)]) for s in statuses
        }
        cases.append((counts, rng.choice([0, 1, 8, 16, 40, 80, 120, rng.randint(1, 10_000)])))
    computed = page.evaluate(
        "cases => cases.map(c => window.eventDashboard.computeTiles(c[0], c[1]))",
        [[counts, capacity] for counts, capacity in cases],
    )
    for (counts, capacity), tiles in zip(cases, computed, strict=True):
        expected = [
            {"key": t["key"], "value": t["value"], "percent": str(t["percent"])}
            for t in tiles_from_counts(counts, capacity)
        ]
        assert tiles == expected, (counts, capacity)


def test_changes_pushed_together_reach_the_list_as_one_frame_each_applied(open_live, conference):
    """A bulk check-in pushes its changes at once; the server sends changes
    queued together as one array frame (live/fanout.py), and the page
    applies each of them: every row follows, not only the counts (which the
    snapshot every 3 s would correct anyway)."""
    event = conference["event"]
    people = [conference["ada"], conference["dennis"]]
    listing = open_live("organiser", f"/events/{event.pk}/registrants/")
    expect(listing.locator("#live-state")).to_have_attribute("data-state", "live", timeout=15_000)
    listing.evaluate("window.notReloaded = true")
    services.registrants_bulk_change_status(
        registrant_ids=[p.pk for p in people], to_status=Status.CHECKED_IN
    )
    # Rows change only through the frames (the list refreshes itself every
    # 60 s while live): a generous wait still fails if a frame is not applied.
    for person in people:
        expect(listing.locator(f"#row-{person.pk} .col-status")).to_have_text(
            "Checked in", timeout=10_000
        )
    assert listing.evaluate("window.notReloaded") is True
