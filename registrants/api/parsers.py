"""JSON bodies with a bounded nesting depth.

Python's json module parses recursively: a 2 KB body of a thousand nested
brackets raised RecursionError (a 500) before any permission check, and
shallower ones could still recurse deep in validation or in an error
message that echoes them. No body of ours nests past a few levels, so
anything deeper than MAX_JSON_DEPTH is refused as malformed, before parsing.
The gateway applies the same check to its own bodies.
"""

from __future__ import annotations

import io
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32

# A JSON string (skipped whole, so brackets inside it do not count) or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `raw` nests arrays and objects deeper than `limit`.

    Cheap for ordinary bodies: one with at most `limit` opening brackets
    cannot be too deep and is not scanned."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(raw):
        char = match.group()[0]
        if char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char != ord('"'):
            depth -= 1
    return False


def depth_message(limit: int = MAX_JSON_DEPTH) -> str:
    return f"JSON parse error - the body nests deeper than {limit} levels."


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser, refusing bodies nested deeper than MAX_JSON_DEPTH
    (400 malformed_request) instead of recursing into them."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if too_deep(raw):
            raise ParseError(depth_message())
        return super().parse(io.BytesIO(raw), media_type, parser_context)
