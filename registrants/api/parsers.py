"""JSON bodies with a bounded nesting depth.

Python's json module parses recursively: a 2 KB body of a thousand nested
brackets raised RecursionError (a 500) before any permission check, and
shallower ones could still recurse deep in validation or in an error
message that echoes them. No body of ours nests past a few levels, so
anything deeper than MAX_JSON_DEPTH is refused as malformed, before parsing.
The gateway applies the same check to its own bodies.
"""

from __future__ import annotations

import array
import io
import itertools

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32

# Brackets and quotes are all the check needs; the rest is dropped.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
# Opening brackets become 1, closing ones -1 (as signed bytes).
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `raw` nests arrays and objects deeper than `limit`.

    Escapes are dropped (so every quote left opens or closes a string), then
    everything but brackets and quotes, then the strings' contents (every
    other piece between quotes); the brackets left become +1 and -1 and the
    deepest point is the largest running sum. All of it runs in C, in less
    time than parsing the body (a Python loop over a 500-item batch cost ten
    times as much). A body with at most `limit` opening brackets cannot be
    too deep and is not looked at."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = raw.translate(None, _NOT_STRUCTURE)
    outside_strings = b"".join(structure.split(b'"')[::2])
    steps = array.array("b", outside_strings.translate(_STEPS))
    return max(itertools.accumulate(steps), default=0) > limit


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
