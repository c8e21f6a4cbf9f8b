"""The SQLite database file is readable by its owner only.

It holds every registrant's data and the password hashes; created with the
process's umask it was world-readable (0644). SQLite creates the -wal and
-shm files with the database file's permissions, so making the file 0600
when a connection opens covers them from then on; the ones already there
(from an earlier run) are made 0600 too.
"""

from __future__ import annotations

import os
import stat

from django.db.backends.signals import connection_created
from django.dispatch import receiver

OWNER_ONLY = 0o600


def restrict(path: str) -> None:
    """Make the database file at `path` and its -wal/-shm owner-only."""
    for name in (path, path + "-wal", path + "-shm"):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o077:
                os.chmod(name, mode & OWNER_ONLY)
        except FileNotFoundError:
            continue


def _file_of(settings_dict: dict) -> str | None:
    name = str(settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    return name.removeprefix("file:").split("?", 1)[0]


@receiver(connection_created, dispatch_uid="accounts.sqlite_owner_only")
def _owner_only(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    path = _file_of(connection.settings_dict)
    if path is not None:
        restrict(path)
