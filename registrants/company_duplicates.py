"""Companies that are probably one, where the normalisation rules cannot
decide ("Acme" and "Acme Labs", "Microsoft" and "Mircosoft"): shown to
organisers, who merge them or not.

Python's difflib over the normalised keys, not the database: it runs the
same on SQLite and PostgreSQL, and a deployment has hundreds or a few
thousand companies. The work is bounded anyway: only the MAX_COMPANIES
companies with the most registrants are compared, only within blocks that
share the key's first letters, and at most MAX_COMPARISONS pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import islice

from django.db.models import Count

from .models import Company

MAX_COMPANIES = 5_000
MAX_COMPARISONS = 200_000
MAX_PAIRS = 50
SIMILARITY = 0.85  # "northwind labs" / "northwind group" is 0.69: not alike
REST_SIMILARITY = 0.8  # of the words that differ: "microsoft" / "mircosoft" 0.89
BLOCK_PREFIX = 2  # typos in the first two letters are not found: the price of the bound


@dataclass(frozen=True)
class LikelyDuplicate:
    """Two companies that are probably one; `absorb` would merge into `keep`
    (the one with more registrants, on a tie the older)."""

    keep: Company
    absorb: Company
    reason: str


def _reason(a: str, b: str, matcher: SequenceMatcher) -> str | None:
    """Why keys `a` and `b` (set in `matcher`) look like one company, or None."""
    # Words both names share at the start or end say nothing about whether
    # the rest is a typo: "vanarsdel analytics" is not "vandelay analytics".
    wa, wb = a.split(), b.split()
    while wa and wb and wa[0] == wb[0]:
        wa, wb = wa[1:], wb[1:]
    while wa and wb and wa[-1] == wb[-1]:
        wa, wb = wa[:-1], wb[:-1]
    if not wa or not wb:
        return "one name extends the other"  # "acme" and "acme labs"
    if not (
        matcher.real_quick_ratio() >= SIMILARITY
        and matcher.quick_ratio() >= SIMILARITY
        and matcher.ratio() >= SIMILARITY
    ):
        return None
    rest = SequenceMatcher(None, " ".join(wa), " ".join(wb), autojunk=False).ratio()
    if rest < REST_SIMILARITY:
        return None
    return f"names {round(100 * matcher.ratio())} % alike"


def _pairs_within(blocks: dict[str, list[Company]]) -> Iterator[tuple[Company, Company]]:
    for block in blocks.values():
        for i, first in enumerate(block):
            for second in block[i + 1 :]:
                yield first, second


def likely_duplicate_companies(*, limit: int = MAX_PAIRS) -> list[LikelyDuplicate]:
    """Pairs of companies that are likely one, the ones with the most
    registrants first. Each carries `registrant_count`."""
    companies = list(
        Company.objects.annotate(registrant_count=Count("registrants")).order_by(
            "-registrant_count", "created_at", "id"
        )[:MAX_COMPANIES]
    )
    rank = {c.pk: i for i, c in enumerate(companies)}
    blocks: dict[str, list[Company]] = {}
    for company in companies:
        blocks.setdefault(company.normalized_name[:BLOCK_PREFIX], []).append(company)

    found: list[LikelyDuplicate] = []
    matcher = SequenceMatcher(autojunk=False)
    for first, second in islice(_pairs_within(blocks), MAX_COMPARISONS):
        matcher.set_seq2(first.normalized_name)  # a no-op while `first` stays: difflib caches it
        matcher.set_seq1(second.normalized_name)
        reason = _reason(first.normalized_name, second.normalized_name, matcher)
        if reason:
            keep, absorb = sorted((first, second), key=lambda c: rank[c.pk])
            found.append(LikelyDuplicate(keep=keep, absorb=absorb, reason=reason))
    found.sort(key=lambda d: (rank[d.keep.pk], rank[d.absorb.pk]))
    return found[:limit]
