"""The token cache's keys and lifetimes, shared by both stores (gateway.cache)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

PRINCIPAL = "gw:tok:"  # + sha256(token): the cached principal, JSON
REVOKED = "gw:rev:"  # + sha256(token): set when the token is revoked
THROTTLE = "gw:thr:"  # + sha256(token) + ":" + window


def current_principal(principal: Any, generation: Any) -> Any:
    """The principal if it was read under `generation`, else None."""
    if principal is not None and principal.get("g") != generation:
        return None
    return principal


def db_generation() -> Any:
    """The credentials generation, as the database holds it."""
    from accounts.generation import from_db

    return from_db()


def cache_seconds() -> int:
    """How long a principal stays cached (TOKEN_CACHE_SECONDS)."""
    return int(settings.TOKEN_CACHE_SECONDS)


def revoked_marker_seconds() -> int:
    """How long a revocation marker outlives any cached principal."""
    return cache_seconds() + 60


def reload_margin(token_hash: str) -> float:
    """How long before a cached principal expires it is read again from the
    database, in the background (gateway.auth): between a sixth and a third
    of TOKEN_CACHE_SECONDS, spread by the token, so that tokens cached
    together (a restart) are not all read again in the same instant."""
    spread = int(token_hash[:4], 16) / 0xFFFF  # a SHA-256 in hex: 0..1
    return cache_seconds() / 6 * (1 + spread)
