"""Plain input and output serializers. No business logic: that is in the services."""

from __future__ import annotations

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registrants import lifecycle
from registrants.event_options import MAX_OFFER_HOURS, MAX_RETENTION_DAYS
from registrants.fields import COMPANY_MAX, EMAIL_MAX, NAME_MAX
from registrants.lifecycle import Kind, ScanMode, Status
from registrants.models import Company, Event, GuestType, Registrant, StatusChange
from registrants.permissions import P_VIEW_CODE
from registrants.presenters import actor_display_name

from .registrant_fields import NameField, checked_registrant_fields

MAX_ID = 2**63 - 1
MAX_CAPACITY = 1_000_000


def id_field(**kwargs) -> serializers.IntegerField:
    """An id in a body: an integer that fits a bigint, so lookups cannot overflow."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def reject_read_only(data, allowed: set[str], read_only: set[str]) -> None:
    """Refuse fields that may not be written here, instead of silently dropping them."""
    if not isinstance(data, dict):
        return
    sent = read_only & set(data)
    if sent:
        raise serializers.ValidationError(
            {name: ["This field cannot be changed here."] for name in sorted(sent)}
        )


# --- Events --------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    seats_taken = serializers.IntegerField(read_only=True)
    seats_left = serializers.SerializerMethodField()
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="IANA name; the deployment's by default."
    )
    door_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=ScanMode.choices),
        required=False,
        help_text="The scan modes the event's desk page offers; all by default.",
    )
    closed = serializers.BooleanField(
        required=False, help_text="A closed event refuses new registrations (409 event_closed)."
    )
    retention_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_RETENTION_DAYS,
        allow_null=True,
        required=False,
        help_text="Erase the event's registrants this many days after its date; null keeps them.",
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "date",
            "capacity",
            "time_zone",
            "door_modes",
            "closed",
            "retention_days",
            "waitlist_offer_hours",
            "seats_taken",
            "seats_left",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"waitlist_offer_hours": {"min_value": 1, "max_value": MAX_OFFER_HOURS}}

    def get_seats_left(self, obj) -> int:
        return max(0, obj.capacity - getattr(obj, "seats_taken", 0))


class EventUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    date = serializers.DateField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    door_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=ScanMode.choices), required=False
    )
    closed = serializers.BooleanField(required=False)
    retention_days = serializers.IntegerField(
        min_value=0, max_value=MAX_RETENTION_DAYS, allow_null=True, required=False
    )
    waitlist_offer_hours = serializers.IntegerField(
        min_value=1, max_value=MAX_OFFER_HOURS, required=False
    )

    def to_internal_value(self, data):
        reject_read_only(
            data, set(self.fields), {"id", "seats_taken", "seats_left", "created_at", "updated_at"}
        )
        return super().to_internal_value(data)


# --- Companies -----------------------------------------------------------------


class CompanySerializer(serializers.ModelSerializer):
    registrant_count = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)

    class Meta:
        model = Company
        fields = ["id", "name", "registrant_count", "created_at"]
        read_only_fields = ["id", "created_at"]


class CompanyMergeSerializer(serializers.Serializer):
    into = id_field(help_text="The company that absorbs this one.")


# --- Registrants ---------------------------------------------------------------


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RegistrantSerializer(serializers.ModelSerializer):
    """A registrant as the API shows it. `check_in_code` only for roles that
    may see codes (viewers never do: a code is a door key), and never for an
    erased registrant (`erased_at` set), which has no allowed transitions."""

    company = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    check_in_code = serializers.SerializerMethodField()

    class Meta:
        model = Registrant
        fields = [
            "id",
            "event",
            "name",
            "email",
            "company",
            "guest_type",
            "status",
            "allowed_transitions",
            "check_in_code",
            "created_at",
            "updated_at",
            "erased_at",
        ]
        read_only_fields = fields

    def get_company(self, obj) -> CompanyRefSerializer(allow_null=True):  # type: ignore[valid-type]
        if obj.company_id is None:
            return None
        # A search's page reads the name without the company row
        # (selectors.company_names_per_row); other lists join it.
        name = getattr(obj, "company_name", None)
        return {"id": obj.company_id, "name": name or obj.company.name}

    def get_allowed_transitions(self, obj) -> list[Status]:
        if obj.erased_at is not None:
            return []
        return lifecycle.allowed_targets(obj.status)  # members render as their values

    def get_check_in_code(self, obj) -> str | None:
        request = self.context.get("request")
        if obj.erased_at is not None:
            return None
        if request and request.user.has_perm(P_VIEW_CODE):
            return obj.check_in_code
        return None


class RegistrantCreateSerializer(serializers.Serializer):
    event = id_field()
    name = NameField(max_length=NAME_MAX)
    email = serializers.EmailField(max_length=EMAIL_MAX)
    company = serializers.CharField(
        max_length=COMPANY_MAX,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A company name; created if new, matched after normalisation.",
    )
    company_id = id_field(required=False, allow_null=True)
    guest_type = serializers.ChoiceField(choices=GuestType.choices, default=GuestType.ATTENDEE)
    waitlist = serializers.BooleanField(
        default=False, help_text="When the event is full, join its waitlist instead of a 409."
    )

    def to_internal_value(self, data):
        reject_read_only(
            data,
            set(self.fields),
            {"id", "status", "check_in_code", "created_at", "updated_at", "erased_at"},
        )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs.get("company") and attrs.get("company_id"):
            raise serializers.ValidationError(
                {"company": ["Give either a company name or company_id, not both."]}
            )
        return checked_registrant_fields(attrs)


class RegistrantUpdateSerializer(serializers.Serializer):
    name = NameField(max_length=NAME_MAX, required=False)
    email = serializers.EmailField(max_length=EMAIL_MAX, required=False)
    company = serializers.CharField(
        max_length=COMPANY_MAX, required=False, allow_blank=True, allow_null=True
    )
    company_id = id_field(required=False, allow_null=True)
    guest_type = serializers.ChoiceField(choices=GuestType.choices, required=False)

    def to_internal_value(self, data):
        reject_read_only(
            data,
            set(self.fields),
            {
                "id",
                "event",
                "status",
                "check_in_code",
                "created_at",
                "updated_at",
                "allowed_transitions",
                "erased_at",
            },
        )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if "company" in attrs and "company_id" in attrs:
            raise serializers.ValidationError(
                {"company": ["Give either a company name or company_id, not both."]}
            )
        return checked_registrant_fields(attrs)


class StatusChangeSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # Empty on the creation row: there was no status before it.
    from_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    # What the move was (forward, undo, cancel, reinstate, correction), from
    # the lifecycle table; null on the creation row.
    kind = serializers.SerializerMethodField()

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "registrant",
            "from_status",
            "to_status",
            "kind",
            "at",
            "actor",
            "source",
            "note",
        ]
        read_only_fields = fields

    def get_actor(self, obj) -> str | None:
        return actor_display_name(obj.actor) if obj.actor_id else None

    @extend_schema_field({"type": "string", "enum": [k.value for k in Kind], "nullable": True})
    def get_kind(self, obj) -> str | None:
        kind = lifecycle.kind_of_change(obj.from_status, obj.to_status)
        return kind.value if kind else None


class TransitionInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TransitionResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    registrant = RegistrantSerializer()
    changes = StatusChangeSerializer(many=True)


# --- Scan ------------------------------------------------------------------------


class ScanInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=128)
    mode = serializers.ChoiceField(choices=ScanMode.choices)
    # An id, not a looked-up object: a badge of another event (or of an
    # event that does not exist) is answered by the scan itself (409
    # wrong_event), with no extra query here, exactly as the gateway answers.
    event = id_field(
        help_text="The event being scanned for; a badge of another event is refused (409)."
    )
    nonce = serializers.CharField(
        max_length=64,
        required=False,
        help_text=(
            "Client-generated, one per scan: the same request again gets the first answer; "
            "the same nonce with another code, mode or event is refused (409 nonce_reused)."
        ),
    )


class ScanRegistrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    company = serializers.CharField(allow_null=True)
    guest_type = serializers.ChoiceField(choices=GuestType.choices)
    status = serializers.ChoiceField(choices=Status.choices)


class ScanPreviousSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


class ScanResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Status.choices)
    steps = serializers.ListField(child=serializers.ChoiceField(choices=Status.choices))
    message = serializers.CharField()
    registrant = ScanRegistrantSerializer()
    previous = ScanPreviousSerializer(allow_null=True)


# --- Stats -----------------------------------------------------------------------


class CountPerCompanySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class CompaniesStatsSerializer(serializers.Serializer):
    top = CountPerCompanySerializer(many=True)
    others = serializers.IntegerField()
    others_companies = serializers.IntegerField()
    no_company = serializers.IntegerField()


class ArrivalBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    count = serializers.IntegerField()


class OccupancyBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    inside = serializers.IntegerField()


def _counts(name: str, keys: list[str]) -> type[serializers.Serializer]:
    """A serializer of one count per key: the statuses and guest types,
    straight from their enums so the schema follows the lifecycle."""
    return type(name, (serializers.Serializer,), {k: serializers.IntegerField() for k in keys})


StatusCountsSerializer = _counts("StatusCountsSerializer", Status.values)
GuestTypeCountsSerializer = _counts("GuestTypeCountsSerializer", GuestType.values)


class EventStatsSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    # In UTC: in the deployment's zone an old moment takes its local mean
    # time (London's -00:01:15), which is no RFC 3339 offset.
    as_of = serializers.DateTimeField(
        allow_null=True,
        default_timezone=datetime.UTC,
        help_text="The past moment described (`at`), in UTC; null for now.",
    )
    capacity = serializers.IntegerField()
    total = serializers.IntegerField()
    attendees = serializers.IntegerField()
    on_site = serializers.IntegerField()
    seats_left = serializers.IntegerField()
    by_status = StatusCountsSerializer()
    by_guest_type = GuestTypeCountsSerializer()
    companies = CompaniesStatsSerializer()
    arrivals = ArrivalBucketSerializer(many=True)
    occupancy = OccupancyBucketSerializer(many=True)
