"""Re-keying companies when the normalisation rules change.

A new rule can give two existing companies one key ("Google" and "Google
Inc" since legal forms are dropped). They are then one company: the
registrants of the younger ones move to the oldest, which keeps its
display name, and the younger ones are deleted. History rows name no
company, so they stay as they are. Run by migration 0010, and by any later
migration that changes normalize_company_name.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .normalization import normalize_company_name


def companies_renormalize(*, company_model, registrant_model) -> list[tuple[int, list[int]]]:
    """Give every company its key under today's rules, merging those that
    now collide into the oldest (created first, then lowest id).

    Takes the models as arguments so that a migration passes its historical
    ones. Returns (kept company id, absorbed company ids) per merge.
    """
    merges: list[tuple[int, list[int]]] = []
    with transaction.atomic():
        rows = company_model.objects.order_by("created_at", "id").values_list(
            "id", "name", "normalized_name"
        )
        groups: dict[str, list[tuple[int, str]]] = {}
        for pk, name, old_key in rows:
            groups.setdefault(normalize_company_name(name), []).append((pk, old_key))
        now = timezone.now()
        rekeyed: list[tuple[int, str]] = []
        for key, members in groups.items():
            (kept, kept_key), *absorbed = members
            if absorbed:
                ids = [pk for pk, _ in absorbed]
                registrant_model.objects.filter(company_id__in=ids).update(
                    company_id=kept, updated_at=now
                )
                company_model.objects.filter(pk__in=ids).delete()
                merges.append((kept, ids))
            if kept_key != key:
                rekeyed.append((kept, key))
        # Two passes: a company's new key may still be another's old key
        # until that one is re-keyed too, and the key is unique. The
        # interim key cannot be a real one: real keys have no "\t".
        for pk, _ in rekeyed:
            company_model.objects.filter(pk=pk).update(normalized_name=f"\trekey {pk}")
        for pk, key in rekeyed:
            company_model.objects.filter(pk=pk).update(normalized_name=key)
    return merges
