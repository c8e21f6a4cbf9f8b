"""The rules of questions and answers: what a question may be, what an
answer to it may be. Every path (the public page, the API, the dashboard,
the import) checks answers here, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registrants.errors import ApplicationError
from registrants.validation import text_problem

from .models import MAX_ANSWER, MAX_CHOICE, MAX_CHOICES, MAX_LABEL, Question

Kind = Question.Kind
YES, NO = "yes", "no"
# What an import cell or an API client may send for a yes/no question.
_YES_WORDS = frozenset({"yes", "y", "true", "1", "ja", "oui"})
_NO_WORDS = frozenset({"no", "n", "false", "0", "nein", "non"})


# Headers an export writes and an import reads for the registrant's own
# columns (imports/parsing.py COLUMNS, imports/exports.py; a test keeps them
# in step): a question labelled so could not be told apart in a file.
RESERVED_KEYS = frozenset(
    {
        "id", "name", "full name", "attendee name",
        "email", "e mail", "email address", "e mail address",
        "company", "organisation", "organization", "company name",
        "guest type", "type", "ticket type",
        "status", "created at", "updated at", "check in code",
    }
)  # fmt: skip


def label_key(label: str) -> str:
    """A label folded as import headers are (case-folded, "_" and "-" read as
    spaces, whitespace collapsed): "Dietary needs" == "dietary_needs"."""
    cleaned = str(label or "").replace("\ufeff", "").replace("_", " ").replace("-", " ")
    return " ".join(cleaned.split()).casefold()


def answer_field(question_id: int) -> str:
    """The form and error field name of a question's answer."""
    return f"question_{question_id}"


@dataclass(frozen=True)
class QuestionSpec:
    """A question's definition, checked."""

    label: str
    kind: str
    choices: list[str]
    required: bool


def validated_question(
    *, label: Any, kind: Any, choices: Any = None, required: Any = False
) -> QuestionSpec:
    """The question's definition cleaned, or validation_error naming each
    field that is wrong."""
    problems: dict[str, list[str]] = {}
    text = " ".join(str(label or "").split()) if isinstance(label, str) else ""
    if not text:
        problems["label"] = ["Give the question a label, e.g. “Dietary needs”."]
    elif len(text) > MAX_LABEL:
        problems["label"] = [f"At most {MAX_LABEL} characters."]
    elif (problem := text_problem(text)) is not None:
        problems["label"] = [problem]
    elif label_key(text) in RESERVED_KEYS:
        problems["label"] = [f"“{text}” names a registrant's own field; word it otherwise."]
    if kind not in Kind.values:
        problems["kind"] = [f"Choose one of: {', '.join(Kind.values)}."]
    options = _options(choices, problems) if kind == Kind.CHOICE else []
    if not isinstance(required, bool):
        problems["required"] = ["Must be true or false."]
    if problems:
        first = next(iter(problems))
        raise ApplicationError(
            "validation_error", f"{first}: {problems[first][0]}", fields=problems
        )
    return QuestionSpec(label=text, kind=str(kind), choices=options, required=bool(required))


def _options(choices: Any, problems: dict[str, list[str]]) -> list[str]:
    """A choice question's options: 2 to MAX_CHOICES distinct lines."""
    if isinstance(choices, str):
        choices = choices.splitlines()
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        problems["choices"] = ["A list of options (text)."]
        return []
    options: list[str] = []
    seen: set[str] = set()
    for raw in choices:
        option = " ".join(raw.split())
        if not option or option.casefold() in seen:
            continue
        if len(option) > MAX_CHOICE or text_problem(option) is not None:
            problems["choices"] = [f"Each option is plain text of at most {MAX_CHOICE} characters."]
            return []
        seen.add(option.casefold())
        options.append(option)
    if not 2 <= len(options) <= MAX_CHOICES:
        problems["choices"] = [f"A choice question needs 2 to {MAX_CHOICES} different options."]
    return options


def clean_answer(question: Question, raw: Any) -> tuple[str | None, str | None]:
    """(the value to store or None for no answer, the problem or None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, ("This question is required." if question.required else None)
    if isinstance(raw, bool) and question.kind == Kind.YES_NO:
        return (YES if raw else NO), None
    if not isinstance(raw, str):
        return None, "Must be text."
    text = " ".join(raw.split())
    if question.kind == Kind.YES_NO:
        word = text.casefold()
        if word in _YES_WORDS:
            return YES, None
        if word in _NO_WORDS:
            return NO, None
        return None, f"Answer yes or no (not “{text[:40]}”)."
    if question.kind == Kind.CHOICE:
        for option in question.choices:
            if option.casefold() == text.casefold():
                return option, None
        return (
            None,
            f"“{text[:40]}” is not an option; choose one of: {', '.join(question.choices)}.",
        )
    if len(text) > MAX_ANSWER:
        return None, f"At most {MAX_ANSWER} characters."
    problem = text_problem(text)
    return (None, problem) if problem else (text, None)


def clean_answers(
    questions: Iterable[Question], given: Mapping[int, Any]
) -> tuple[dict[int, str], dict[str, list[str]]]:
    """Every question's answer from `given` (question id -> raw value):
    (question id -> value to store, field -> problems). Unknown ids in
    `given` are ignored by the caller's choice of `questions`."""
    values: dict[int, str] = {}
    problems: dict[str, list[str]] = {}
    for question in questions:
        value, problem = clean_answer(question, given.get(question.pk))
        if problem is not None:
            problems[answer_field(question.pk)] = [problem]
        elif value is not None:
            values[question.pk] = value
    return values, problems


def require_answers(questions: Iterable[Question], given: Mapping[int, Any]) -> dict[int, str]:
    """clean_answers for the services: the values, or validation_error."""
    values, problems = clean_answers(questions, given)
    if problems:
        first = next(iter(problems))
        raise ApplicationError("validation_error", problems[first][0], fields=problems)
    return values
