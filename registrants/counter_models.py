"""Running counts of each event, kept by database triggers in the same
transaction as every change of a registrant or a history row
(registrants/counters, docs/decisions/0190).

A number is the SUM of its rows over `slot`: on PostgreSQL each writing
transaction adds to the rows of one slot of its own (an advisory lock per
slot), so sixteen scanners never queue on one hot row, and no writer ever
waits for a counter row another transaction holds (which could close a
cycle with the registrant and event row locks: a deadlock). Nothing in Python
writes these tables; `manage.py recount_counters` rebuilds them from the rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# Each table's unique key starts with the event: no index of the event alone.
# No constraint in the database either: its check would take a KEY SHARE lock
# on the event row at each new counter row, and wait behind a registration
# holding the event's lock (FOR UPDATE). Django still deletes an event's
# counts with it, and so does the SQLite trigger on the event table.


class _EventCount(models.Model):
    """A number of one event (the rows' sum over `slot` where there is one)."""

    event = models.ForeignKey(
        "registrants.Event",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    n = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class _SlottedCount(_EventCount):
    slot = models.SmallIntegerField(default=0)

    class Meta:
        abstract = True


class StatusCount(_SlottedCount):
    """Registrants of the event in `status`."""

    status = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "status", "slot"], name="statuscount_key"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.status} [{self.slot}]: {self.n}"


class GuestTypeCount(_SlottedCount):
    """Registrants of the event holding a seat (lifecycle.SEAT_HOLDING), by guest type."""

    guest_type = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "guest_type", "slot"], name="guesttypecount_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.guest_type} [{self.slot}]: {self.n}"


class CompanyCount(_SlottedCount):
    """Registrants of the event holding a seat, by company (0: no company).
    Only a registration, a cancel, a reinstate, a deletion or a company
    change moves it (scans do not). On PostgreSQL slot 0 is the companies'
    own, taken when free: rows in other slots stay few."""

    # A plain id, not a foreign key: 0 stands for "no company" (a unique
    # key with NULL would not be unique), and a merged-away company's row
    # simply drops to 0.
    company_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "company_id", "slot"], name="companycount_key"
            ),
        ]
        indexes = [
            # The top companies, in order of slot 0's counts (reads.py).
            models.Index(
                fields=["event", "n", "company_id"],
                name="companycount_slot0_n",
                condition=Q(slot=0),
            ),
            # The few companies with counts in other slots.
            models.Index(
                fields=["event", "company_id"],
                name="companycount_other_slots",
                condition=~Q(slot=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} company {self.company_id} [{self.slot}]: {self.n}"


class CompanyTally(_EventCount):
    """The event's CompanyCount rows of slot 0 with a positive count (and a
    company): how many companies hold seats, but for the few companies with
    rows in other slots, which the read corrects (counters/reads.py).
    Counting those rows at each read cost 2 ms at 20,000 companies and grew
    with them. Only the holder of slot 0's lock writes slot 0, so the
    triggers see each row cross zero in order: one row per event, no slot."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event"], name="companytally_key")]

    def __str__(self) -> str:
        return f"{self.event_id} companies with seats in slot 0: {self.n}"


class BucketCount(_SlottedCount):
    """Per 15-minute bucket of the history's `at`: first check-ins
    (kind "a"), entries (to entered, "i") and exits (from entered, "x")."""

    kind = models.CharField(max_length=1)
    bucket = models.BigIntegerField(help_text="The bucket's start, epoch seconds.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind", "bucket", "slot"], name="bucketcount_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind} {self.bucket} [{self.slot}]: {self.n}"
