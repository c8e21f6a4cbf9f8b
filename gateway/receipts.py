"""Nonce receipts in the gateway: one request per nonce.

A receipt (registrants.ScanReceipt, shared with the DRF path) keeps the
first answer to a nonce and the fingerprint of its request
(registrants.scanning.request_fingerprint: code, mode, event). The same
request again gets that answer and writes nothing; another request with the
same nonce is refused (409 `nonce_reused`; in a batch, the item's result
`refused`), writes nothing and never sees the first answer.
"""

from __future__ import annotations

import json
from typing import Any

from registrants import scanning
from registrants.api.errors import error_body

from .scan import BatchItem, BatchPlan, Principal


def fingerprint(code: str, mode: str, principal: Principal) -> str:
    """The fingerprint of a scan by `principal` (scoped to its event)."""
    return scanning.request_fingerprint(code=code, mode=mode, event_id=principal.event_id)


def stored_json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def replay(http_status: int, body: Any, stored: str, fingerprint: str) -> tuple[int, dict]:
    """The answer to a nonce that has a receipt: its first answer when the
    request is the same, else 409 nonce_reused."""
    if scanning.fingerprints_match(stored, fingerprint):
        return http_status, stored_json(body)
    error = scanning.nonce_reused_error()
    return 409, error_body(error.code, error.message)


def refused_item(item: BatchItem) -> dict[str, Any]:
    """A batch item whose nonce belongs to another request."""
    return {
        "index": item.index,
        "nonce": item.nonce,
        "result": "refused",
        "reason": "nonce_reused",
        "status": None,
        "steps": [],
        "registrant": None,
        "replayed": False,
    }


def first_per_nonce(items: list[BatchItem]) -> list[BatchItem]:
    """The first item of each nonce; later ones are answered by it."""
    seen: set[str] = set()
    first = []
    for item in items:
        if item.nonce not in seen:
            first.append(item)
        seen.add(item.nonce)
    return first


def batch_results(
    items: list[BatchItem],
    planned: dict[int, dict[str, Any]],
    first: dict[str, tuple[str, dict[str, Any]]],
    principal: Principal,
) -> dict[int, dict[str, Any]]:
    """Every item's answer: the plan's for the items it applied; for the
    others, the first answer of their nonce (`first`: nonce -> (fingerprint,
    answer), from a stored receipt or from this batch) when they ask the
    same, else a refusal."""
    results = dict(planned)
    for item in items:
        if item.index in results:
            continue
        stored, answer = first[item.nonce]
        if scanning.fingerprints_match(stored, fingerprint(item.code, item.mode, principal)):
            results[item.index] = {
                **answer,
                "index": item.index,
                "nonce": item.nonce,
                "replayed": True,
            }
        else:
            results[item.index] = refused_item(item)
    return results


def results_of_batch(
    items: list[BatchItem],
    stored: dict[str, tuple[str, dict[str, Any]]],
    todo: list[BatchItem],
    plan: BatchPlan | None,
    principal: Principal,
) -> dict[int, dict[str, Any]]:
    """batch_results for a batch whose items `todo` were planned (`plan`)
    and whose other nonces had receipts (`stored`: nonce -> (fingerprint,
    answer))."""
    first = dict(stored)
    for item in todo:
        assert plan is not None
        first[item.nonce] = (
            fingerprint(item.code, item.mode, principal),
            plan.results[item.index],
        )
    return batch_results(items, plan.results if plan else {}, first, principal)
