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

# Sent INSIDE the erasure's transaction (registrants/erasure.py), kwargs:
# registrant_ids. Every app that keeps personal data about a registrant
# (answers, e-mail logs, webhook deliveries) scrubs it in a receiver; an
# exception rolls the whole erasure back, so no half-erased person remains.
registrants_erasing = Signal()
# Sent while a subject access export is built (registrants/personal_data.py),
# kwargs: registrant (the Registrant). Each receiver returns a dict of
# {section name: JSON-ready data} that is merged into the export.
personal_data_requested = Signal()
# Sent INSIDE a bulk status change's transaction (registrants/services/bulk.py),
# kwargs: changes (its StatusChange rows, written in one INSERT, which sends no
# post_save). Receivers write what must commit with them (e-mails' log rows).
history_rows_created = Signal()
# Sent INSIDE the transaction that offers a freed seat to a waitlisted
# registrant (registrants/waitlist.py), kwargs: registrant_id, offer_id,
# expires_at. Receivers write what must commit with the offer (the e-mail's
# log row); an exception rolls the offer back.
waitlist_offer_made = Signal()
