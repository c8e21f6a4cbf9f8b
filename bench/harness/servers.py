"""The app servers under test: testing/servers.py's UvicornServer, and
gunicorn (the DRF path's production server) in the same shape."""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import Any

from testing.servers import ROOT, UvicornServer, free_port

__all__ = ["CheckoutUvicornServer", "GunicornServer", "UvicornServer", "free_port", "summarize_log"]


class GunicornServer(UvicornServer):
    """gunicorn with sync workers serving config.wsgi on a loopback port;
    started, waited for and stopped as UvicornServer is."""

    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", "sync",
            "--chdir", str(ROOT),
            "--log-level", "warning",
            "--backlog", "2048",
        ]  # fmt: skip


def summarize_log(text: str, keep: int = 5) -> dict[str, Any]:
    """How many lines a server logged, and the most frequent ones
    (timestamps and pids stripped), so that a warning per request shows."""
    lines = text.splitlines()
    # "2026-11-26 12:00:00,123 WARNING name message" / "[...] [pid] [LEVEL] message"
    shapes = Counter(re.sub(r"^(\S+ \S+ |\[[^]]*\] \[\d+\] )", "", line)[:160] for line in lines)
    return {"lines": len(lines), "top": [[n, text] for text, n in shapes.most_common(keep)]}


class CheckoutUvicornServer(UvicornServer):
    """UvicornServer with more uvicorn options (`extra_args`), serving the
    app from another checkout of the repository when `root` names one (e.g.
    the main branch's), so that old and new code or settings can be
    measured in one run against the same database."""

    def __init__(self, *, root: str = "", extra_args: list[str] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.root = root
        self.extra_args = extra_args or []

    def _command(self) -> list[str]:
        return [*super()._command(), *(["--app-dir", self.root] if self.root else []),
                *self.extra_args]  # fmt: skip
