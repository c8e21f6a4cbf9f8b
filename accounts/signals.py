"""Signals of the accounts app.

`access_changed` names the users whose access changed in writes that send no
model signal of their own (QuerySet.update(), bulk_create()): the live
stream listens to it (live/access_watch.py) as it listens to the model
signals of every other such change. Sent inside the writer's transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# Arguments: user_ids (an iterable of user ids).
access_changed = Signal()
