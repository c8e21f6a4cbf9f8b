"""The gateway's OpenAPI documentation: request and response shapes.

The handlers parse and validate bodies themselves (to answer exactly what
the DRF API answers), so these models only document; the schemathesis run
(gateway/tests/test_fuzz.py) checks that the answers match them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

StatusName = Literal["registered", "checked_in", "entered", "exited", "cancelled"]
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


class BatchItemResult(BaseModel):
    index: int = Field(description="Position of the item in the request.")
    nonce: str
    result: Literal["applied", "repeat", "conflict"] | None = None
    reason: Literal["cancelled", "unknown_code", "invalid_transition", "wrong_event"] | None = None
    status: StatusName | None = None
    steps: list[StatusName] = []
    registrant: ScanRegistrant | None = None
    replayed: bool = Field(
        False, description="A nonce seen before: its first answer, nothing written."
    )


class BatchResult(BaseModel):
    results: list[BatchItemResult]
    applied: int
    repeats: int
    conflicts: int
    replayed: int


SCAN_REQUEST = {
    "type": "object",
    "required": ["code", "mode"],
    "properties": {
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
            "description": "Client-generated; a retry with the same nonce gets the first answer.",
        },
    },
}

BATCH_REQUEST = {
    "type": "object",
    "required": ["items"],
    "properties": {
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
        409: "Cancelled registrant, or a move the lifecycle does not allow.",
        413: "Body too large.",
        415: "Not JSON.",
        429: "Throttled (see Retry-After).",
        503: "Database unavailable (see Retry-After).",
    }
    return {code: {"model": Error, "description": text[code]} for code in codes}
