"""API token authentication: `Authorization: Bearer <token>` or `Token <token>`.

Looking the token up in the database on every request costs about a quarter
of the scan throughput (../PERFORMANCE.md), so token -> user is cached for
TOKEN_CACHE_SECONDS. Deleting a token (revoking it) drops its cache entry at
once; with Redis as the cache that reaches every process. A user's group
changes reach cached tokens within TOKEN_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete
from django.dispatch import receiver
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token

logger = logging.getLogger(__name__)

KEYWORDS = (b"bearer", b"token")


def _cache_key(key: str) -> str:
    # Never keep the token itself as a cache key: a cache dump would leak it.
    return "authtoken:" + hashlib.sha256(key.encode()).hexdigest()


class BearerOrTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, accepting both keywords and caching lookups.

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

    def authenticate_credentials(self, key):
        cache_key = _cache_key(key)
        try:
            cached = cache.get(cache_key)
        except Exception:  # a cache outage must not lock everyone out
            logger.warning("token cache unavailable; reading the database")
            cached = None
        if cached is not None:
            return cached, None
        try:
            token = Token.objects.select_related("user").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This user is inactive.")
        # Load the permissions now, so that the cached user carries them: a
        # permission check would otherwise cost two join queries per request.
        token.user.get_all_permissions()
        try:
            cache.set(cache_key, token.user, settings.TOKEN_CACHE_SECONDS)
        except Exception:
            logger.warning("token cache unavailable; not caching")
        return token.user, None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


@receiver(post_delete, sender=Token)
def _forget_revoked_token(sender, instance: Token, **kwargs) -> None:
    try:
        cache.delete(_cache_key(instance.key))
    except Exception:
        logger.warning(
            "token cache unavailable; a revoked token may live %ss", settings.TOKEN_CACHE_SECONDS
        )
