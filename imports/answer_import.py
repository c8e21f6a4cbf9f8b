"""An import's answers to the event's questions: a column whose header is a
question's label (folded as every header is) is read as that question's
answers instead of being ignored; an answer the question does not accept
(an unknown choice, "maybe" for yes/no) is a problem of its row, reported
like any other. The answers are written in the import's own transaction,
once its registrants exist.

Which registrant a row became: every import path inserts the valid rows
that fit in file order with ids taken in that order (COPY after nextval,
bulk_create, the SQLite stage's INSERT ... SELECT ordered by row), and the
rows refused for capacity are always the last ones. So the k-th valid row
is the k-th smallest id among the registrants whose creation row carries
the job's marker; `write` checks the count before relying on it.
"""

from __future__ import annotations

from typing import Any

from registrants.errors import ApplicationError
from registrants.models import Source, StatusChange
from signup.models import Answer, Question
from signup.questions import clean_answer, label_key

from .parsing import RawRow, Table

PREFIX = "question:"
WRITE_BATCH = 2000
COLUMN_CHARS = 32  # ImportRowError.column
MESSAGE_CHARS = 500  # ImportRowError.message


def claim_question_columns(table: Table, event_id: int) -> None:
    """Add the event's questions found in the header to the table's columns
    (as "question:<id>"); they are no longer listed as ignored."""
    if not table.unknown:
        return
    for question in Question.objects.filter(event_id=event_id):
        position = table.unknown.get(question.label_key)
        if position is None:
            continue
        table.columns[f"{PREFIX}{question.pk}"] = position
        table.ignored = [h for h in table.ignored if label_key(h) != question.label_key]


class AnswerCheck:
    """The answers of one job's rows: checked row by row (`check`), kept for
    the valid rows (`keep`), written after the import (`write`)."""

    def __init__(self, table: Table) -> None:
        ids = [int(c[len(PREFIX) :]) for c in table.columns if c.startswith(PREFIX)]
        self.questions = {q.pk: q for q in Question.objects.filter(pk__in=ids)} if ids else {}
        self.valid = 0  # valid rows so far
        self.kept: dict[int, dict[int, str]] = {}  # valid row index -> answers

    def check(self, raw: RawRow) -> tuple[dict[int, str], list[tuple[str, str]]]:
        """The row's answers to store, and its answer problems (column, message)."""
        answers: dict[int, str] = {}
        problems: list[tuple[str, str]] = []
        for pk, question in self.questions.items():
            value, problem = clean_answer(question, raw.values.get(f"{PREFIX}{pk}", ""))
            if problem is not None:
                problems.append((question.label[:COLUMN_CHARS], problem[:MESSAGE_CHARS]))
            elif value is not None:
                answers[pk] = value
        return answers, problems

    def keep(self, answers: dict[int, str]) -> None:
        """Record the answers of the next valid row (in file order)."""
        if answers:
            self.kept[self.valid] = answers
        self.valid += 1

    def write(self, *, event_id: int, marker: str, created: int) -> int:
        """Store the kept answers of the `created` registrants of this import
        (inside its transaction). Returns the number of answers written."""
        if not self.kept or not created:
            return 0
        ids = list(
            StatusChange.objects.filter(
                event_id=event_id, source=Source.IMPORT, from_status="", note=marker
            )
            .order_by("registrant_id")
            .values_list("registrant_id", flat=True)
        )
        if len(ids) != created:
            # Never attach answers to the wrong people: the import rolls back.
            raise ApplicationError("conflict", "The import's rows could not be matched; retry it.")
        rows: list[Any] = [
            Answer(registrant_id=ids[index], question_id=pk, value=value)
            for index, answers in sorted(self.kept.items())
            if index < created
            for pk, value in answers.items()
        ]
        Answer.objects.bulk_create(rows, batch_size=WRITE_BATCH)
        return len(rows)
