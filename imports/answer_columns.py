"""The registration page's questions as export columns: one per question,
after the registrant's own columns, headed by the question's label (an
import reads them back by it: imports/answer_import.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from signup.selectors import answers_by_registrant, event_questions

from .exports import CHUNK, neutralise


def with_answers(rows: Iterator[list[Any]], *, event_id: int) -> Iterator[list[Any]]:
    """`rows` (a header, then rows whose first cell is the registrant's id)
    with one more cell per question of the event; answers are read once per
    chunk of rows (one query each), not per row."""
    questions = event_questions(event_id)
    header = next(rows)
    if not questions:
        yield header
        yield from rows
        return
    ids = [q.pk for q in questions]
    yield [*header, *(neutralise(q.label) for q in questions)]
    while chunk := list(itertools.islice(rows, CHUNK)):
        answers = answers_by_registrant([row[0] for row in chunk], ids)
        for row in chunk:
            given = answers.get(row[0], {})
            yield [*row, *(neutralise(given.get(qid, "")) for qid in ids)]
