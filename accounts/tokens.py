"""Issuing users' API tokens: the key once, its hash for ever."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from .models import ApiToken

KEY_PREFIX = "rdt_"  # tells a user's token apart (devices' keys start with rdd_)


def hash_key(key: str) -> str:
    """What is stored and looked up for a key: its SHA-256, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh key (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_fields(key: str) -> dict[str, str]:
    """What an ApiToken stores of `key`."""
    return {"key_hash": hash_key(key), "key_prefix": key[:8]}


def token_create(*, user: Any) -> tuple[ApiToken, str]:
    """A new API token for `user`: the token and its key, which exists only
    in this return value (show it once; it cannot be read back)."""
    key = new_key()
    return ApiToken.objects.create(user=user, **key_fields(key)), key


def token_user(key: str) -> Any | None:
    """The user of a key, or None for an unknown (or deleted) key."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    return token.user if token is not None else None
