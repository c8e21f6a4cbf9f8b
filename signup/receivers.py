"""Answers are personal data: erased with the registrant, and part of
their subject access export (registrants.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from registrants.signals import personal_data_requested, registrants_erasing

from .models import Answer
from .selectors import registrant_answers


@receiver(registrants_erasing, dispatch_uid="signup.erase_answers")
def erase_answers(sender: Any, registrant_ids: Any, **kwargs: Any) -> None:
    """Delete the answers of the registrants being erased, in the erasure's
    transaction (the form's Submission row holds no personal data)."""
    Answer.objects.filter(registrant_id__in=list(registrant_ids)).delete()


@receiver(personal_data_requested, dispatch_uid="signup.export_answers")
def export_answers(sender: Any, registrant: Any, **kwargs: Any) -> dict[str, Any]:
    """The registrant's answers, for their subject access export."""
    return {
        "answers": [
            {"question": a["label"], "kind": a["kind"], "answer": a["value"]}
            for a in registrant_answers(registrant)
        ]
    }
