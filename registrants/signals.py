"""Domain signals, sent only after the transaction that caused them commits.

Receivers (the live dashboard, caches) can trust that what they are told is
in the database: a rolled-back change is never announced.
"""

from django.dispatch import Signal

# kwargs: event_id, registrant_id, changes (list of StatusChange ids), and
# registrant and change_rows (the objects as written, when the sender has them)
status_changed = Signal()
# kwargs: event_id, registrant_id, action ("created" | "updated" | "erased"),
# status (the registrant's status at that moment; erasure keeps it)
registrant_changed = Signal()
# kwargs: moves, a list of (registrant, change_rows) committed in one
# transaction by a bulk action: one signal for them all instead of one
# status_changed each (a 5,000-registrant check-in sent 5,000 live messages)
statuses_changed = Signal()
