"""The words of each message: the defaults, and an organiser's per-event
templates with a small set of placeholders.

A template is plain text with `{{ name }}`-style placeholders from
PLACEHOLDERS and nothing else: no tags, filters or attribute access, so an
organiser cannot reach data or code a template language would expose. The
HTML part is the same text, escaped, with paragraphs and links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import escape, linebreaks, urlize

from registrants.errors import ApplicationError

from .models import Kind

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# What a template may say, and what each one means (shown on the editor).
PLACEHOLDERS: dict[str, str] = {
    "name": "the registrant's name",
    "event": "the event's name",
    "date": "the event's date",
    "status": "the registration's status",
    "ticket_url": "the link to their ticket page",
    "registered_at": "when they registered, in the event's time zone",
    "offer_expires_at": "when a waitlist offer lapses, in the event's time zone",
    "confirm_url": "the link that accepts a waitlist offer",
}
# Placeholders that only some kinds can fill.
ONLY_FOR = {
    "offer_expires_at": {Kind.WAITLIST_OFFER},
    "confirm_url": {Kind.WAITLIST_OFFER},
}
SUBJECT_MAX = 200
BODY_MAX = 10_000


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


DEFAULTS: dict[str, Wording] = {
    Kind.CONFIRMATION: Wording(
        "Your ticket for {{ event }}",
        "Hello {{ name }},\n\n"
        "you are registered for {{ event }} on {{ date }}. Your ticket is attached: "
        "show its QR code at the door, on your phone or printed.\n\n"
        "Your ticket page, where you can also cancel: {{ ticket_url }}\n\n"
        "See you there.",
    ),
    Kind.CANCELLATION: Wording(
        "Your registration for {{ event }} is cancelled",
        "Hello {{ name }},\n\n"
        "your registration for {{ event }} on {{ date }} is cancelled; your ticket "
        "no longer opens the door.\n\n"
        "If this is a mistake, reply to this e-mail.",
    ),
    Kind.REMINDER: Wording(
        "Reminder: {{ event }} on {{ date }}",
        "Hello {{ name }},\n\n"
        "a reminder that {{ event }} is on {{ date }}. Bring your ticket: its QR code "
        "is on your ticket page, {{ ticket_url }}\n\n"
        "See you there.",
    ),
    Kind.WAITLIST_OFFER: Wording(
        "A seat is free for you at {{ event }}",
        "Hello {{ name }},\n\n"
        "a seat at {{ event }} on {{ date }} has become free and it is yours if you "
        "confirm by {{ offer_expires_at }}: {{ confirm_url }}\n\n"
        "After that time the seat goes to the next person on the waitlist.",
    ),
}


def check_template(kind: str, *, subject: str, body: str) -> None:
    """Refuse (validation_error) a template with an unknown placeholder, one
    its kind cannot fill, a line break in the subject or an empty part."""
    fields: dict[str, list[str]] = {}
    for field, text, limit in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
        problems = []
        if not text.strip():
            problems.append("Write something here.")
        if len(text) > limit:
            problems.append(f"At most {limit:,} characters.")
        for found in PLACEHOLDER.findall(text):
            if found not in PLACEHOLDERS:
                problems.append(
                    f'"{{{{ {found} }}}}" is not a placeholder; use: '
                    + ", ".join(f"{{{{ {p} }}}}" for p in allowed_placeholders(kind))
                    + "."
                )
            elif found not in allowed_placeholders(kind):
                problems.append(f'"{{{{ {found} }}}}" cannot be used in this message.')
        if problems:
            fields[field] = problems
    if "\n" in subject or "\r" in subject:
        fields.setdefault("subject", []).append("A subject is one line.")
    if fields:
        raise ApplicationError("validation_error", "The template cannot be used.", fields=fields)


def allowed_placeholders(kind: str) -> list[str]:
    """The placeholders a template of `kind` may use, in PLACEHOLDERS order."""
    return [p for p in PLACEHOLDERS if kind in ONLY_FOR.get(p, {kind})]


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each placeholder replaced by its value (an unknown one,
    which check_template refuses, is left as written)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render(wording: Wording, values: dict[str, str]) -> tuple[str, str, str]:
    """(subject, plain text, HTML body) of a message. Values are escaped in
    the HTML part, so a registrant's name cannot inject markup."""
    subject = " ".join(fill(wording.subject, values).split())
    text = fill(wording.body, values)
    html = linebreaks(urlize(escape(text), autoescape=False))
    return subject, text, html
