"""The gateway's OpenAPI documentation: request and response shapes.

The handlers parse and validate bodies themselves (to answer exactly what
the DRF API answers), so these models only document; the schemathesis run
(gateway/tests/test_fuzz.py) checks that the answers match them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

StatusName = Literal["waitlisted", "registered", "checked_in", "entered", "exited", "cancelled"]
ModeName = Literal["desk", "entry", "exit"]
MAX_BATCH = 500


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, Any]
    details: dict[str, Any] | None = None


class Error(BaseModel):
    """The one error shape of the whole product."""

    error: ErrorDetail


class ScanRegistrant(BaseModel):
    id: int
    name: str
    company: str | None
    guest_type: str
    status: StatusName


class ScanPrevious(BaseModel):
    status: StatusName
    by: str | None
    at: str = Field(json_schema_extra={"format": "date-time"})


class ScanResult(BaseModel):
    changed: bool
    status: StatusName
    steps: list[StatusName]
    message: str
    registrant: ScanRegistrant
    previous: ScanPrevious | None


class EventRef(BaseModel):
    id: int
    name: str


class Refusal(BaseModel):
    code: Literal["conflict_limit"]
    message: str


class BatchItemResult(BaseModel):
    index: int = Field(description="Position of the item in the request.")
    nonce: str
    result: Literal["applied", "repeat", "conflict", "refused"] | None = None
    reason: (
        Literal[
            "cancelled",
            "waitlisted",
            "unknown_code",
            "invalid_transition",
            "wrong_event",
            "nonce_reused",
        ]
        | None
    ) = None
    status: StatusName | None = None
    steps: list[StatusName] = []
    registrant: ScanRegistrant | None = None
    event: EventRef | None = Field(None, description="wrong_event: the badge's event.")
    recorded: bool | None = Field(
        None,
        description=(
            "Conflicts: kept for organisers (true), or not, the scanner's open conflicts "
            "for the event being at their limit (false, with `refusal`)."
        ),
    )
    refusal: Refusal | None = None
    replayed: bool = Field(
        False, description="A nonce seen before: its first answer, nothing written."
    )


class BatchResult(BaseModel):
    results: list[BatchItemResult]
    applied: int
    repeats: int
    conflicts: int
    refused: int = Field(description="Items whose nonce was used for another scan.")
    replayed: int


EVENT = {
    "type": "integer",
    "minimum": 1,
    "maximum": 2**63 - 1,
    "description": (
        "The event being scanned for: required with a person's token; a device's own event "
        "by default (another is a 409 event_mismatch)."
    ),
}

SCAN_REQUEST = {
    "type": "object",
    "required": ["code", "mode"],
    "properties": {
        "event": EVENT,
        "code": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "description": "The check-in code the badge carries.",
        },
        "mode": {"type": "string", "enum": ["desk", "entry", "exit"]},
        "nonce": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": (
                "Client-generated, one per scan: a retry with the same nonce and body gets the "
                "first answer; the same nonce with another code, mode or event is a 409."
            ),
        },
    },
}

BATCH_REQUEST = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "event": EVENT,
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH,
            "items": {
                "type": "object",
                "required": ["code", "mode", "nonce", "scanned_at"],
                "properties": {
                    "code": {"type": "string", "minLength": 1, "maxLength": 128},
                    "mode": {"type": "string", "enum": ["desk", "entry", "exit"]},
                    "nonce": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 64,
                        "description": "Unique per device: a replayed nonce writes nothing.",
                    },
                    "scanned_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "The device's clock when it scanned.",
                    },
                },
            },
        },
    },
}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Invalid input.",
        401: "No valid token.",
        403: "Not allowed.",
        404: "Unknown code.",
        409: (
            "Cancelled registrant, a move the lifecycle does not allow, a badge of another "
            "event (wrong_event), a device naming another event (event_mismatch), or a nonce "
            "reused for another scan (nonce_reused)."
        ),
        413: "Body too large.",
        415: "Not JSON.",
        429: "Throttled (see Retry-After).",
        503: "Database unavailable (see Retry-After).",
    }
    return {code: {"model": Error, "description": text[code]} for code in codes}
