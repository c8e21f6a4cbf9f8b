"""Running counts of each event, kept by database triggers in the same
transaction as every change of a registrant or a history row
(registrants/counters, docs/decisions/0190).

A number is the SUM of its rows over `slot`: on PostgreSQL each writing
transaction adds to the rows of one slot of its own (an advisory lock per
slot), so sixteen scanners never queue on one hot row. Nothing in Python
writes these tables; `manage.py recount_counters` rebuilds them from the rows.
"""

from __future__ import annotations

from django.db import models


# Each table's unique key starts with the event: no index of the event alone.


class StatusCount(models.Model):
    """Registrants of the event in `status`."""

    event = models.ForeignKey(
        "registrants.Event", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=16)
    slot = models.SmallIntegerField(default=0)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "status", "slot"], name="statuscount_key"),
        ]


class GuestTypeCount(models.Model):
    """Registrants of the event holding a seat (lifecycle.SEAT_HOLDING), by guest type."""

    event = models.ForeignKey(
        "registrants.Event", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    guest_type = models.CharField(max_length=16)
    slot = models.SmallIntegerField(default=0)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "guest_type", "slot"], name="guesttypecount_key"
            ),
        ]


class CompanyCount(models.Model):
    """Registrants of the event holding a seat, by company (0: no company).

    Not spread over slots: the top ten are read in index order of `n`, and
    only a registration, a cancel, a reinstate or a company change moves a
    company's count (scans do not)."""

    event = models.ForeignKey(
        "registrants.Event", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # A plain id, not a foreign key: 0 stands for "no company" (a unique
    # key with NULL would not be unique), and a merged-away company's row
    # simply drops to 0.
    company_id = models.BigIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "company_id"], name="companycount_key"),
        ]
        indexes = [models.Index(fields=["event", "n"], name="companycount_event_n")]


class BucketCount(models.Model):
    """Per 15-minute bucket of the history's `at`: first check-ins
    (kind "a"), entries (to entered, "i") and exits (from entered, "x")."""

    event = models.ForeignKey(
        "registrants.Event", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=1)
    bucket = models.BigIntegerField(help_text="The bucket's start, epoch seconds.")
    slot = models.SmallIntegerField(default=0)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind", "bucket", "slot"], name="bucketcount_key"
            ),
        ]
