"""The domain: events, companies, registrants and their status history.

Models stay lean: rules live in lifecycle.py (statuses) and services/
(writes). The constraints here are the database's own guard for the rules
that must hold even if a bug slipped past the services.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from .event_options import default_door_modes, default_time_zone
from .lifecycle import INITIAL_STATUS, Status

CHECK_IN_CODE_BYTES = 24  # 192 bits of randomness, 32 URL-safe characters
# A spreadsheet reads a cell that starts with = + - @ (or tab, CR) as a
# formula; of these only "-" is in the URL-safe alphabet. A code never starts
# with it, so exports carry codes verbatim (no neutralising quote that would
# corrupt a badge printed from the file). Drawing again when the first
# character is "-" (1 in 64) keeps the codes uniform over the rest: about
# 191.98 of the 192 bits.
CODE_NEVER_STARTS_WITH = "-"


def new_check_in_code() -> str:
    """An unguessable, URL-safe code: what the QR badge carries."""
    return new_check_in_codes(1)[0]


def new_check_in_codes(n: int) -> list[str]:
    """`n` codes like new_check_in_code's, from one read of the system's
    random source (plus one more for the few drawn again) instead of one per
    code. Each read releases the GIL, and a thread that gives it up 100,000
    times next to a busy thread (the import's checking) waits for it nearly
    every time."""
    size = CHECK_IN_CODE_BYTES
    codes: list[str] = []
    while len(codes) < n:
        missing = n - len(codes)
        random = secrets.token_bytes(size * missing)
        for i in range(0, size * missing, size):
            code = base64.urlsafe_b64encode(random[i : i + size]).rstrip(b"=").decode("ascii")
            if not code.startswith(CODE_NEVER_STARTS_WITH):
                codes.append(code)
    return codes


class GuestType(models.TextChoices):
    ATTENDEE = "attendee", "Attendee"
    SPEAKER = "speaker", "Speaker"
    SPONSOR = "sponsor", "Sponsor"
    EXHIBITOR = "exhibitor", "Exhibitor"
    STAFF = "staff", "Staff"
    PRESS = "press", "Press"
    VIP = "vip", "VIP"


class Source(models.TextChoices):
    API = "api", "API"
    DASHBOARD = "dashboard", "Dashboard"
    ADMIN = "admin", "Admin"
    SCAN = "scan", "Scan"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"
    # The event's public registration page (signup app): no actor.
    REGISTRATION = "registration", "Registration page"


class Event(models.Model):
    name = models.CharField(max_length=200)
    date = models.DateField()
    capacity = models.PositiveIntegerField(help_text="Seats; at least 1.")
    # An IANA name: the event's times are shown in it (event_options.py).
    time_zone = models.CharField(max_length=64, default=default_time_zone)
    # The scan modes the event's desk offers (ScanMode values, table order).
    door_modes = models.JSONField(default=default_door_modes)
    # A closed event takes no new registrations; scans still work.
    closed = models.BooleanField(default=False)
    # Days after the event's date when its registrants are erased
    # (registrants/retention.py); null keeps them.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    # How long a waitlisted person has to accept a freed seat before it
    # goes to the next (registrants/waitlist.py).
    waitlist_offer_hours = models.PositiveIntegerField(
        default=48, help_text="Hours a waitlist offer stays open; at least 1."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_at_least_1"),
            models.CheckConstraint(
                condition=Q(waitlist_offer_hours__gte=1), name="event_offer_hours_at_least_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d})"


class Company(models.Model):
    name = models.CharField(max_length=200, help_text="The first spelling seen, for display.")
    normalized_name = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(condition=~Q(normalized_name=""), name="company_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


class Registrant(models.Model):
    # No index of its own: every (event, ...) index below starts with it.
    # Each index is paid for on every insert (an import writes 100,000 rows).
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="registrants", db_index=False
    )
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="registrants", null=True, blank=True
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    guest_type = models.CharField(
        max_length=16, choices=GuestType.choices, default=GuestType.ATTENDEE
    )
    # Written only by the services, together with a StatusChange row.
    status = models.CharField(
        max_length=16, choices=Status.choices, default=INITIAL_STATUS, editable=False
    )
    # Unique through a constraint rather than unique=True, which on
    # PostgreSQL adds a second (LIKE, varchar_pattern_ops) index that no
    # query uses: codes are only ever looked up whole.
    check_in_code = models.CharField(max_length=64, default=new_check_in_code, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the person's data was erased (what deleting a registrant does,
    # registrants/erasure.py): the row, its status and its history stay.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("move_forward", "Can move registrants forward (check in, entry, exit)"),
            ("change_any_status", "Can undo, cancel and reinstate registrants"),
            ("scan_code", "Can scan check-in codes"),
            ("view_check_in_code", "Can see check-in codes"),
            ("export_registrants", "Can export registrant lists"),
            ("add_walk_in", "Can add walk-ins at the check-in desk"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="registrant_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(guest_type__in=GuestType.values), name="registrant_guest_type_valid"
            ),
            models.UniqueConstraint(
                fields=["check_in_code"], name="registrant_check_in_code_unique"
            ),
        ]
        # No index may hold `status`: status changes (scans at the doors)
        # then stay HOT updates on PostgreSQL, writing none of these indexes
        # (migration 0008, docs/decisions/0002). A test guards it.
        indexes = [
            # The list's default order, newest first, per event (registrants/keyset.py).
            models.Index(fields=["event", "id"], name="registrant_event_id"),
            models.Index(fields=["event", "guest_type"], name="registrant_event_guest_type"),
            models.Index(fields=["event", "company"], name="registrant_event_company"),
            models.Index(fields=["event", "created_at"], name="registrant_event_created"),
            models.Index(fields=["event", "email"], name="registrant_event_email"),
            models.Index(fields=["event", "name"], name="registrant_event_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class AppendOnlyQuerySet(models.QuerySet):
    """History rows are never deleted in bulk either. Updates are refused by
    a database trigger (migration 0002), whatever the path; a registrant
    with history cannot be deleted (PROTECT below, and the foreign key has
    no ON DELETE CASCADE in the database)."""

    def delete(self):
        raise ValueError("Status history is append-only: rows are never deleted.")


class StatusChange(models.Model):
    """One step of a registrant's history. Append-only.

    `event` repeats the registrant's event so that the dashboard's feed and
    time series read one indexed table instead of joining.
    """

    # Neither foreign key has an index of its own: statuschange_registrant
    # and the two (event, ...) indexes below start with them. PROTECT: a
    # registrant is erased, never deleted, so no past figure changes
    # (docs/decisions/0071).
    registrant = models.ForeignKey(
        Registrant, on_delete=models.PROTECT, related_name="history", db_index=False
    )
    # No database constraint: the registrant's own foreign keys already
    # guarantee the event exists (a history row needs its registrant, the
    # registrant its event), and every writer copies the registrant's
    # event (invariant I2 checks it). The constraint cost one check per
    # history row: ~0.8 s of PostgreSQL's CPU per 100,000 imported rows
    # (migration 0007). Django still cascades deletes.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    # No index of its own: nothing reads history by `at` alone (the arrivals
    # and occupancy series use statuschange_event_to_at); one index entry
    # less per history row makes imports and scans cheaper (migration 0006).
    at = models.DateTimeField()
    # PROTECT: history keeps its actor; deactivate users instead of deleting.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    note = models.CharField(max_length=500, blank=True)
    # The scanning device's own clock, for scans a device made offline and
    # synced later (gateway batch); `at` stays the server's time.
    scanned_at = models.DateTimeField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        get_latest_by = "id"
        indexes = [
            models.Index(fields=["registrant", "id"], name="statuschange_registrant"),
            models.Index(fields=["event", "to_status", "at"], name="statuschange_event_to_at"),
            models.Index(fields=["event", "-id"], name="statuschange_event_feed"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '(new)'} -> {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Status history is append-only: rows cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Status history is append-only: rows are never deleted.")


class ScanReceipt(models.Model):
    """The first answer to a scan that carried a client nonce.

    A scanner that retries after a network drop sends the same nonce and gets
    this answer back; nothing is written twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    # registrants.scanning.request_fingerprint of the request that claimed the
    # nonce: the same nonce with another request is refused, not replayed.
    # Empty on receipts written before it existed.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    http_status = models.PositiveSmallIntegerField(default=200)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "nonce"], name="scanreceipt_user_nonce"),
        ]

    def __str__(self) -> str:
        return f"scan nonce {self.nonce}"


class BulkJob(models.Model):
    """A bulk status change too large for one request, run in the background
    (registrants.bulk_jobs). The ids are the set the user confirmed, frozen
    then, in the order the list showed them; `processed` ids are done."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bulk_jobs")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, help_text="The list's action, e.g. check_in.")
    to_status = models.CharField(max_length=16, choices=Status.choices)
    # The kinds of move the actor's role allowed at the confirmation.
    allowed_kinds = models.JSONField(default=list)
    ids = models.JSONField(default=list)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    # The rows the result panel lists: refusals first, then others, capped.
    listed = models.JSONField(default=list)
    message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="bulkjob_state_heartbeat")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="bulkjob_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"bulk {self.action} #{self.pk} of {self.total} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class WaitlistOffer(models.Model):
    """A freed seat offered to a waitlisted registrant (registrants/waitlist.py).

    While open and not past `expires_at` it holds the seat, so two seats
    freed at once go to two people. Rows are kept when they close: the
    registrant's page and the API show every offer made.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"  # cancelled, erased, or promoted by hand

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="waitlist_offers"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["event", "state"], name="waitlistoffer_event_state")]
        constraints = [
            # The database's own guard: never two open offers for one person.
            models.UniqueConstraint(
                fields=["registrant"],
                condition=Q(state="open"),
                name="waitlistoffer_one_open_per_registrant",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "accepted", "expired", "withdrawn"]),
                name="waitlistoffer_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} to registrant {self.registrant_id} ({self.state})"


# The event counters' tables (kept by database triggers, registrants/counters).
from .counter_models import BucketCount as BucketCount  # noqa: E402
from .counter_models import CompanyCount as CompanyCount  # noqa: E402
from .counter_models import CompanyTally as CompanyTally  # noqa: E402
from .counter_models import GuestTypeCount as GuestTypeCount  # noqa: E402
from .counter_models import StatusCount as StatusCount  # noqa: E402
