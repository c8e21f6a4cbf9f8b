"""The compose stack's checks through nginx (scripts/compose-smoke.sh runs this).

  python scripts/compose_smoke_checks.py --edge http://127.0.0.1:18580 \
      --web http://127.0.0.1:18581 --web http://127.0.0.1:18582 \
      --username organiser --organiser-token T --door-token T
  (the demo password in the environment, DEMO_PASSWORD)

1. /readyz and /gateway/readyz answer 200 through nginx.
2. The login page answers 200 and the demo login printed by the `migrate`
   service logs in (the form, its CSRF token, a session; the dashboard then
   answers 200, not the login page).
3. A websocket on the live path, opened through nginx with that session,
   gets a registrant made through EACH web process directly: whichever
   process holds the socket, one of the two changes crossed to it through
   Redis.
4. A scan through nginx's /gateway/ checks one of them in; the socket gets
   that change too.

Cookies are kept by hand: the production settings mark them Secure, and
Python's cookie jar sends Secure cookies over https only, while the stack
here speaks plain HTTP on loopback. Exits non-zero with the reason on the
first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
import uuid
from http.cookies import SimpleCookie
from typing import Any

import httpx
import websockets

WAIT_SECONDS = 20.0  # for a live frame; the stack is local, so normally well under 1 s


class CheckFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def cookies_from(response: httpx.Response, jar: dict[str, str]) -> None:
    """Add the response's Set-Cookie values to `jar` (name -> value)."""
    for header in response.headers.get_list("set-cookie"):
        for name, morsel in SimpleCookie(header).items():
            jar[name] = morsel.value


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def readiness(client: httpx.Client) -> None:
    for path in ("/readyz", "/gateway/readyz"):
        response = client.get(path)
        expect(response.status_code == 200, f"{path} through nginx: {response.status_code}")


def log_in(client: httpx.Client, edge: str, username: str, password: str) -> dict[str, str]:
    """Log in through the login form; the session's cookies."""
    jar: dict[str, str] = {}
    page = client.get("/login/")
    expect(page.status_code == 200, f"/login/ answered {page.status_code}")
    expect('name="password"' in page.text, "/login/ has no password field")
    cookies_from(page, jar)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    expect(token is not None, "/login/ has no CSRF token")
    assert token is not None
    answer = client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        headers={"Cookie": cookie_header(jar), "Origin": edge, "Referer": f"{edge}/login/"},
    )
    expect(answer.status_code == 302, f"login POST answered {answer.status_code}, not a redirect")
    cookies_from(answer, jar)
    # Follow the redirects by hand, with the session's cookies.
    location = answer.headers["location"]
    for _ in range(5):
        page = client.get(location, headers={"Cookie": cookie_header(jar)})
        if page.status_code not in (301, 302, 303):
            break
        location = page.headers["location"]
    expect(page.status_code == 200, f"after login, {location} answered {page.status_code}")
    expect('name="password"' not in page.text, f"after login, {location} is a login form")
    return jar


def api(client: httpx.Client, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    expect(
        response.status_code in (200, 201), f"POST {path}: {response.status_code} {response.text}"
    )
    return response.json()


def messages_in(frame: Any) -> list[dict[str, Any]]:
    """A frame's messages: changes that queued up behind a socket's write come
    as one JSON array frame (live/fanout.py), a lone change as an object."""
    return list(frame) if isinstance(frame, list) else [frame]


async def next_change(ws: Any, registrant_id: int, status: str | None = None) -> dict[str, Any]:
    """The first change frame about `registrant_id` (with `status`, if given)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            break
        for message in messages_in(frame):
            summary = message.get("registrant") or {}
            if message.get("type") == "change" and summary.get("id") == registrant_id:
                if status is None or summary.get("status") == status:
                    return message
    raise CheckFailed(f"no live change for registrant {registrant_id} within {WAIT_SECONDS:.0f} s")


async def live(args: argparse.Namespace, client: httpx.Client, jar: dict[str, str]) -> list[str]:
    """Changes through each web process and the gateway reach one socket."""
    event = api(
        client,
        args.organiser_token,
        "/api/v1/events/",
        {"name": "Compose smoke", "date": "2030-01-01", "capacity": 10},
    )["id"]
    ws_url = args.edge.replace("http://", "ws://", 1) + f"/ws/events/{event}/"
    request_id = f"compose-smoke-{uuid.uuid4().hex[:12]}"
    headers = {"Cookie": cookie_header(jar), "Origin": args.edge, "X-Request-ID": request_id}
    seen: list[str] = []
    async with websockets.connect(ws_url, additional_headers=headers, open_timeout=10) as ws:
        first = messages_in(json.loads(await asyncio.wait_for(ws.recv(), WAIT_SECONDS)))[0]
        expect(first.get("type") == "numbers", f"first live message: {first}")
        codes = []
        for n, web in enumerate(args.web, start=1):
            with httpx.Client(base_url=web, timeout=10) as direct:
                made = api(
                    direct,
                    args.organiser_token,
                    "/api/v1/registrants/",
                    {"event": event, "name": f"Smoke {n}", "email": f"smoke{n}@example.org"},
                )
            await next_change(ws, made["id"])
            seen.append(f"registrant made on {web} seen")
            codes.append((made["id"], made["check_in_code"]))
        registrant, code = codes[0]
        scan = client.post(
            "/gateway/v1/scan",
            json={"code": code, "mode": "desk", "event": event},
            headers={"Authorization": f"Bearer {args.door_token}"},
        )
        expect(
            scan.status_code == 200 and scan.json().get("status") == "checked_in",
            f"scan through /gateway/: {scan.status_code} {scan.text}",
        )
        await next_change(ws, registrant, status="checked_in")
        seen.append("scan through /gateway/ checked in and seen")
    return seen


def parse_args(argv: list[str] | None, environ: dict[str, str]) -> argparse.Namespace:
    """The command line, and the demo password from the environment.

    The password is not an argument: a random one starts with "-" one time
    in 64 (token_urlsafe), which argparse takes for an option, and an
    argument is visible to every user of the machine in `ps`.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edge", required=True, help="nginx, e.g. http://127.0.0.1:18580")
    parser.add_argument("--web", action="append", required=True, help="a web process, direct")
    parser.add_argument("--username", required=True, help="the demo login's user")
    parser.add_argument("--organiser-token", required=True)
    parser.add_argument("--door-token", required=True)
    args = parser.parse_args(argv)
    args.password = environ.get("DEMO_PASSWORD", "")
    if not args.password:
        parser.error("DEMO_PASSWORD is not set (the demo login's password)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, dict(os.environ))
    try:
        with httpx.Client(base_url=args.edge, timeout=10) as client:
            readiness(client)
            jar = log_in(client, args.edge, args.username, args.password)
            seen = asyncio.run(live(args, client, jar))
    except (CheckFailed, httpx.HTTPError, OSError, websockets.WebSocketException) as exc:
        print(f"compose checks FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        "compose checks: /readyz and /gateway/readyz 200 through nginx; the demo login "
        f"logged in; live socket through nginx: {'; '.join(seen)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
