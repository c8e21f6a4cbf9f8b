"""Companies: get-or-create, create, rename, merge, delete."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import ApplicationError
from ..models import Company, Registrant
from ..normalization import clean_company_name, normalize_company_name
from ..validation import require_plain_text


def _validated_company_name(name: str) -> tuple[str, str]:
    require_plain_text(name=name)  # before cleaning folds tabs and line breaks into spaces
    display = clean_company_name(name or "")
    if not display:
        raise ApplicationError(
            "validation_error",
            "A company name cannot be blank.",
            fields={"name": ["This field may not be blank."]},
        )
    return display, normalize_company_name(display)


def company_get_or_create(*, name: str) -> Company:
    """The company this name normalises to, created if new.

    Safe under concurrency: a racing insert of the same name hits the unique
    index, and the loser reads the winner's row.
    """
    display, key = _validated_company_name(name)
    existing = Company.objects.filter(normalized_name=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Company.objects.create(name=display, normalized_name=key)
    except IntegrityError:
        return Company.objects.get(normalized_name=key)


def company_create(*, name: str) -> Company:
    """Create a company; company_exists (409) if the name normalises to one."""
    display, key = _validated_company_name(name)
    try:
        with transaction.atomic():
            return Company.objects.create(name=display, normalized_name=key)
    except IntegrityError:
        existing = Company.objects.filter(normalized_name=key).first()
        raise ApplicationError(
            "company_exists",
            f'A company with this name already exists: "{existing.name if existing else display}".',
            details={"company_id": existing.pk if existing else None},
        ) from None


def company_rename(*, company_id: int, name: str) -> Company:
    """Change a company's display name; company_exists (409) on a clash."""
    display, key = _validated_company_name(name)
    try:
        with transaction.atomic():
            company = Company.objects.select_for_update().get(pk=company_id)
            company.name, company.normalized_name = display, key
            company.save(update_fields=["name", "normalized_name"])
            return company
    except Company.DoesNotExist:
        raise ApplicationError("not_found", "No such company.") from None
    except IntegrityError:
        existing = Company.objects.get(normalized_name=key)
        raise ApplicationError(
            "company_exists",
            f'Another company already has this name: "{existing.name}". Merge them instead.',
            details={"company_id": existing.pk},
        ) from None


def company_merge(*, source_id: int, into_id: int) -> Company:
    """Move every registrant of `source` to `into`, then delete `source`.

    History rows do not name companies, so they stay as they are.
    """
    if source_id == into_id:
        raise ApplicationError(
            "validation_error",
            "A company cannot be merged into itself.",
            fields={"into": ["Choose a different company."]},
        )
    with transaction.atomic():
        companies = {
            c.pk: c for c in Company.objects.select_for_update().filter(pk__in=[source_id, into_id])
        }
        if source_id not in companies:
            raise ApplicationError("not_found", "No such company.")
        if into_id not in companies:
            raise ApplicationError(
                "validation_error",
                "The company to merge into does not exist.",
                fields={"into": [f'Invalid pk "{into_id}" - object does not exist.']},
            )
        Registrant.objects.filter(company_id=source_id).update(
            company_id=into_id, updated_at=timezone.now()
        )
        companies[source_id].delete()
        return companies[into_id]


def company_delete(*, company_id: int) -> None:
    """Delete a company nobody belongs to; else company_has_registrants (409)."""
    with transaction.atomic():
        try:
            company = Company.objects.select_for_update().get(pk=company_id)
        except Company.DoesNotExist:
            raise ApplicationError("not_found", "No such company.") from None
        count = Registrant.objects.filter(company_id=company_id).count()
        if count:
            raise ApplicationError(
                "company_has_registrants",
                f"{count} registrants belong to this company; merge it into another instead.",
                details={"registrants": count},
            )
        company.delete()
