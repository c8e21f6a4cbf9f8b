"""The gateway's input checks: a scan and an offline batch, word for word
as the DRF API's serializers check them (the contract suite compares)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from registrants.filters import OUT_OF_RANGE
from registrants.lifecycle import ScanMode

from . import scan as rules
from . import schemas, scope
from .plumbing import BadRequest, error

MODES = frozenset(ScanMode.values)


def _clean_str(value: Any, max_length: int) -> str | None:
    """The value when DRF's CharField would take it unchanged, else None."""
    if type(value) is not str or not value.isascii() or "\x00" in value:
        return None
    value = value.strip()
    return value if 0 < len(value) <= max_length else None


def validate_scan(data: Any) -> tuple[str, str, str | None, int]:
    """(code, mode, nonce, event) exactly as ScanInputSerializer validates
    them. The common case is checked here; anything unusual is handed to the
    DRF serializer itself, so that errors are word for word the API's."""
    if type(data) is dict and set(data) <= {"code", "mode", "nonce", "event"}:
        code = _clean_str(data.get("code"), 128)
        mode = data.get("mode")
        nonce = data.get("nonce")
        event = scope.event_id(data.get("event"))
        nonce_ok = "nonce" not in data or _clean_str(nonce, 64) is not None
        if code is not None and type(mode) is str and mode in MODES and nonce_ok and event:
            return code, mode, (_clean_str(nonce, 64) if "nonce" in data else None), event
    return _validate_with_drf(data)


def _validate_with_drf(data: Any) -> tuple[str, str, str | None, int]:
    from rest_framework.exceptions import ValidationError

    from registrants.api.errors import first_message, flatten_detail
    from registrants.api.serializers import ScanInputSerializer

    serializer = ScanInputSerializer(data=data)
    try:
        serializer.is_valid(raise_exception=True)
    except ValidationError as exc:
        fields = flatten_detail(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        raise BadRequest(
            error(400, "validation_error", first_message(fields) or "Invalid input.", fields)
        ) from None
    v = serializer.validated_data
    return v["code"], v["mode"], v.get("nonce") or None, v["event"]


DATETIME_FORMAT_ERROR = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


def _item_problems(item: Any) -> tuple[dict[str, list[str]], rules.BatchItem | None]:
    if type(item) is not dict:
        return {
            "non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(item).__name__}."
            ]
        }, None
    problems: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, limit in (("code", 128), ("nonce", 64)):
        if name not in item:
            problems[name] = ["This field is required."]
            continue
        value = _clean_str(item[name], limit)
        if value is None:
            problems[name] = [f"Must be a non-blank ASCII string of at most {limit} characters."]
        values[name] = value
    mode = item.get("mode")
    if "mode" not in item:
        problems["mode"] = ["This field is required."]
    elif type(mode) is not str or mode not in MODES:
        problems["mode"] = [f'"{mode}" is not a valid choice.']
    scanned_at = None
    if "scanned_at" not in item:
        problems["scanned_at"] = ["This field is required."]
    else:
        try:
            if type(item["scanned_at"]) is not str:
                raise ValueError
            scanned_at = rules.utc(dt.datetime.fromisoformat(item["scanned_at"]))
        except ValueError:
            problems["scanned_at"] = [DATETIME_FORMAT_ERROR]
        except OverflowError:  # 9999-12-31T23:00-05:00 has no UTC time
            problems["scanned_at"] = [OUT_OF_RANGE]
    if problems or mode is None or scanned_at is None:  # both set when no problem
        return problems, None
    return {}, rules.BatchItem(
        index=0, code=values["code"], mode=mode, nonce=values["nonce"], scanned_at=scanned_at
    )


def validate_batch(data: Any) -> list[rules.BatchItem]:
    if type(data) is not dict:
        fields: dict[str, Any] = {
            "non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
            ]
        }
    elif "items" not in data:
        fields = {"items": ["This field is required."]}
    elif type(data["items"]) is not list:
        fields = {
            "items": [f'Expected a list of items but got type "{type(data["items"]).__name__}".']
        }
    elif not data["items"]:
        fields = {"items": ["This list may not be empty."]}
    elif len(data["items"]) > schemas.MAX_BATCH:
        fields = {"items": [f"Ensure this field has no more than {schemas.MAX_BATCH} elements."]}
    else:
        items, problems = [], {}
        for index, raw in enumerate(data["items"]):
            item_problems, item = _item_problems(raw)
            if item_problems:
                problems[str(index)] = item_problems
            else:
                assert item is not None
                item.index = index
                items.append(item)
        if not problems:
            return items
        fields = {"items": problems}
    from registrants.api.errors import first_message

    raise BadRequest(error(400, "validation_error", first_message(fields), fields))
