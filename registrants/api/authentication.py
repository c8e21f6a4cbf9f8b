"""API token authentication: `Authorization: Bearer <token>` or `Token <token>`.

Tokens are accounts.ApiToken: only each key's SHA-256 is stored. Looking a
token up in the database on every request costs about a quarter of the scan
throughput, so token -> user is cached for TOKEN_CACHE_SECONDS under the
key's SHA-256, with the credentials generation it was read under
(accounts.generation). Any change to who may do what (a token deleted, a
user deactivated, groups or permissions changed) moves the generation on,
and every process refuses or re-reads its cached tokens from the next
request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts import generation
from accounts.tokens import hash_key, token_user
from config.cache import cache

logger = logging.getLogger(__name__)

KEYWORDS = (b"bearer", b"token")


def _cache_key(key: str) -> str:
    # Never keep the token itself as a cache key: a cache dump would leak it.
    return "authtoken:" + hash_key(key)


# A cached entry: (user, the credentials generation it was read under).
CachedToken = tuple[Any, int]


def _cached(cache_key: str) -> tuple[CachedToken | None, int | None]:
    """(cached entry, current generation): one round trip with Redis; without
    it the generation is the database's (another process may have moved it)."""
    if generation.shared():
        values = cache.get_many([cache_key, generation.CACHE_KEY])
        current = values.get(generation.CACHE_KEY)
        if current is None:
            current = generation.initialise()
        return values.get(cache_key), current
    return cache.get(cache_key), generation.from_db()


class BearerOrTokenAuthentication(BaseAuthentication):
    """Token authentication accepting both keywords, caching lookups.

    Tokens are read from the Authorization header only, never from the query
    string (where they would end up in access logs).
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: use 'Bearer <token>' with no spaces in the token."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token: it must be ASCII.") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        cache_key = _cache_key(key)
        try:
            entry, current = _cached(cache_key)
        except Exception:  # a cache outage must not lock everyone out
            logger.warning("token cache unavailable; reading the database")
            entry, current = None, None
        if entry is not None and entry[1] == current:
            return entry[0], None
        user = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This user is inactive.")
        # Load the permissions now, so that the cached user carries them: a
        # permission check would otherwise cost two join queries per request.
        user.get_all_permissions()
        try:
            # Under the generation read BEFORE the database: if a change
            # committed meanwhile, this entry is never trusted.
            cache.set(cache_key, (user, current), settings.TOKEN_CACHE_SECONDS)
        except Exception:
            logger.warning("token cache unavailable; not caching")
        return user, None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
