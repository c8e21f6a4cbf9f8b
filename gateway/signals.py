"""Revocations reach the gateway's token cache at once (after commit)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.generation import credentials_changed
from accounts.models import ApiToken

from .cache import forget_near, forget_token
from .models import DeviceToken


@receiver(post_delete, sender=ApiToken, dispatch_uid="gateway.forget_user_token")
def _forget_user_token(sender, instance: ApiToken, **kwargs) -> None:
    token_hash = instance.key_hash
    transaction.on_commit(lambda: forget_token(token_hash))


@receiver(credentials_changed, dispatch_uid="gateway.forget_near")
def _forget_near(sender, **kwargs) -> None:
    # Other processes see the new generation at their next read of Redis.
    forget_near()


@receiver(post_save, sender=DeviceToken, dispatch_uid="gateway.forget_revoked_device")
def _forget_revoked_device(sender, instance: DeviceToken, **kwargs) -> None:
    if instance.revoked_at is not None:
        token_hash = instance.key_hash
        transaction.on_commit(lambda: forget_token(token_hash))


@receiver(post_delete, sender=DeviceToken, dispatch_uid="gateway.forget_deleted_device")
def _forget_deleted_device(sender, instance: DeviceToken, **kwargs) -> None:
    token_hash = instance.key_hash
    transaction.on_commit(lambda: forget_token(token_hash))
