"""Every write of the domain. Each function owns its transaction.

One module per subdomain; callers use `services.x` from here:
events, companies, registration (register, update, delete), transitions
(one registrant's status change), scanning (registrant_scan), bulk (one
change for many), waitlist (offers of freed seats, their acceptance), imports (the bulk import's inserts), announce (the live
signals, sent after commit) and common (the seat count and row locks).

Rules the services keep (see docs/decisions/):
- A status change and its StatusChange row commit together or not at all.
- The registrant row is locked (SELECT ... FOR UPDATE) before its status is
  read, so that concurrent changes serialise; on SQLite the IMMEDIATE
  transaction mode serialises all writers instead.
- Seats are counted with the event row locked, so capacity holds under
  concurrency (docs/decisions/0002-capacity-guard.md).
- Side effects (signals for live pages) leave only via transaction.on_commit.
"""

from .bulk import BulkRowResult, registrants_bulk_change_status
from .common import ALL_KINDS, Actor, seats_held, seats_taken
from .companies import (
    company_create,
    company_delete,
    company_get_or_create,
    company_merge,
    company_rename,
)
from .events import event_create, event_delete, event_update
from .imports import ImportBatchResult, ImportedRegistrant, import_start, registrants_import_batch
from .registration import (
    registrant_delete,
    registrant_register,
    registrant_update,
    registrants_delete,
)
from .scanning import registrant_scan
from .transitions import StatusResult, invalid_transition, registrant_change_status
from .waitlist import offer_accept, seats_freed, waitlist_process_due, waitlist_touch

__all__ = [
    "ALL_KINDS",
    "Actor",
    "BulkRowResult",
    "ImportBatchResult",
    "ImportedRegistrant",
    "StatusResult",
    "invalid_transition",
    "company_create",
    "company_delete",
    "company_get_or_create",
    "company_merge",
    "company_rename",
    "event_create",
    "event_delete",
    "event_update",
    "import_start",
    "registrant_change_status",
    "registrant_delete",
    "registrant_register",
    "registrant_scan",
    "registrant_update",
    "registrants_bulk_change_status",
    "registrants_delete",
    "registrants_import_batch",
    "offer_accept",
    "seats_freed",
    "seats_held",
    "seats_taken",
    "waitlist_process_due",
    "waitlist_touch",
]
