"""Which characters a name or a note may hold: the one rule every write path
(API, dashboard, admin, import) applies through the services.

Refused: control characters (C0, DEL, C1), which break CSV files, logs and
terminals; and the invisible marks that reorder text on screen (bidirectional
embeddings, overrides, isolates and the direction marks), with which
"txt.exe" can be shown as "exe.txt" or a name can pose as another. Notes
keep tab and line breaks, names do not. Everything else is accepted: accents,
every script, emoji, including their sequences joined by U+200D (ZWJ).
"""

from __future__ import annotations

import re

from .errors import ApplicationError

_DIRECTION_MARKS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_NAME_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{_DIRECTION_MARKS}]")
# A browser's textarea sends line breaks as CR LF, so a note keeps CR too.
_NOTE_FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_DIRECTION_MARKS}]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored (a one-line name, or a note when
    `multiline`), or None when it may."""
    # A name's surrounding whitespace (a trailing tab from a paste) is
    # trimmed before it is stored, so only what is kept is checked.
    text = value if multiline else value.strip()
    found = (_NOTE_FORBIDDEN if multiline else _NAME_FORBIDDEN).search(text)
    if found is None:
        return None
    char = found.group()
    what = "control" if ord(char) <= 0x9F else "text-direction"
    allowed = " (tab and line breaks are fine)" if multiline else ""
    return (
        f"Contains U+{ord(char):04X}, an invisible {what} character, which is not "
        f"allowed here{allowed}. Remove it and try again."
    )


def require_plain_text(*, multiline: tuple[str, ...] = (), **values: str | None) -> None:
    """Raise validation_error (400) naming every field whose value holds a
    character text_problem refuses; None values are not checked.
    Field names listed in `multiline` are notes (tab and line breaks allowed)."""
    problems = {}
    for field, value in values.items():
        if value is None:
            continue
        problem = text_problem(value, multiline=field in multiline)
        if problem is not None:
            problems[field] = [problem]
    if problems:
        field = next(iter(problems))
        raise ApplicationError(
            "validation_error", f"{field}: {problems[field][0]}", fields=problems
        )
