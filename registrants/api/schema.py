"""OpenAPI helpers: every operation documents the error shape it can answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    400: "Invalid input (validation_error, malformed_request).",
    401: "No or invalid credentials (not_authenticated, authentication_failed).",
    403: "The role may not do this (permission_denied).",
    404: "No such resource (not_found).",
    405: "Method not allowed (method_not_allowed).",
    409: "Refused by a domain rule (invalid_transition, event_full, conflict, ...).",
    413: "The body is too large (payload_too_large).",
    415: "Unsupported content type (unsupported_media_type).",
    429: "Too many requests (throttled); see Retry-After.",
    503: "The database is unavailable (service_unavailable); see Retry-After.",
}

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.JSONField()),
                "details": serializers.DictField(child=serializers.JSONField(), required=False),
            },
        )
    },
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses, all in the one shape."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


# Every authenticated endpoint can answer these, whatever the operation.
ALWAYS = (401, 403, 405, 413, 503)


class ErrorAwareAutoSchema(AutoSchema):
    """AutoSchema that adds the errors any API operation can return, and the
    400/404 that list filters and detail lookups can return."""

    def get_response_serializers(self):
        # A dict when @extend_schema lists responses; the stub omits that.
        found: Any = super().get_response_serializers()
        responses = (
            found if isinstance(found, dict) else {200 if self.method == "GET" else 201: found}
        )
        extra = list(ALWAYS)
        if self.method == "GET":
            extra += [400, 404]
        if self.method in ("POST", "PATCH", "PUT"):
            extra += [400, 415]
        for code, response in errors(*extra).items():
            responses.setdefault(code, response)
        return responses


# Only null, in OpenAPI 3.0's words: `nullable` counts only beside a `type`,
# and `enum` then keeps everything else out.
NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


def nullable_references(result, generator, request, public):
    """POSTPROCESSING_HOOK: a nullable field whose schema is a reference
    (drf-spectacular writes `allOf: [$ref], nullable: true`) becomes
    `oneOf: [$ref, NULL_ONLY]`.

    OpenAPI 3.0.3 says `nullable` has no effect without a `type` beside it,
    so strict validators and code generators read the first form as "never
    null" and rejected every registrant without a company."""

    def fix(node):
        if isinstance(node, list):
            return [fix(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: fix(value) for key, value in node.items()}
        if not node.get("nullable") or "type" in node:
            return node
        if len(node.get("allOf", ())) == 1:
            alternatives = node.pop("allOf")
        elif "oneOf" in node:
            alternatives = node.pop("oneOf")
        elif "$ref" in node:
            alternatives = [{"$ref": node.pop("$ref")}]
        else:
            return node
        del node["nullable"]
        node["oneOf"] = [*alternatives, NULL_ONLY]
        return node

    return fix(result)
