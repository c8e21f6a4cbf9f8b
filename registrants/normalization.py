"""Normalisation rules for values users type in many spellings."""

from __future__ import annotations

import re
import unicodedata

# The length of Company.normalized_name. Folding can lengthen a name
# ("&" -> "and", the ligature "ﬁ" -> "fi"), so keys are cut to fit.
COMPANY_KEY_MAX = 200

# Letters Unicode does not decompose into a base letter and an accent, folded
# as PostgreSQL's unaccent folds them, so both databases search alike.
_LETTER_FOLDS = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ł": "l",
        "Ł": "L",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
        "þ": "th",
        "Þ": "TH",
    }
)

# Legal forms dropped from the end of a company name: "Google Inc." and
# "Google" are one company. Dotted spellings ("L.L.C.", "S.A.") arrive here
# without their dots.
LEGAL_FORMS = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "gmbh",
        "ag",
        "plc",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "corp",
        "corporation",
        "co",
        "company",
        "pty",
    }
)

# Dots and apostrophes join what they separate ("L.L.C." -> "llc",
# "Margie's" -> "margies"); any other run of punctuation is a word break.
_JOINING = re.compile(r"[.'’`´]")
_BREAKING = re.compile(r"[\W_]+")


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Latin-1 and Latin Extended, folded one character at a time in advance:
# SQLite calls fold_text for every row a search reads, and a table lookup
# is about four times cheaper than decomposing each name.
_LATIN_FOLDS = {cp: _fold_slowly(chr(cp)) for cp in range(0x80, 0x250)}


def fold_text(text: str) -> str:
    """`text` without accents and case: "GARCÍA" and "garcia" fold alike,
    "Ångström" to "angstrom". The search's fold on SQLite (registrants/search.py);
    on PostgreSQL the database's unaccent does the same job."""
    if text.isascii():  # most names and nearly every email: the fast path
        return text.lower()
    latin = text.translate(_LATIN_FOLDS)
    if latin.isascii():
        return latin.lower()
    return _fold_slowly(text)


def normalize_company_name(name: str) -> str:
    """The key two company names must share to be one company.

    Trim, collapse whitespace, fold accents and case, read "&" as "and",
    drop punctuation and the legal forms at the end: "Google", " google ",
    "GOOGLE", "Google Inc." and "Google, Inc" are one company. A name that
    is only a legal form ("Co.") keeps it, so no key is ever empty.
    """
    folded = fold_text(" ".join(name.split()))
    words = _BREAKING.sub(" ", _JOINING.sub("", folded.replace("&", " and "))).split()
    core = list(words)
    while len(core) > 1 and core[-1] in LEGAL_FORMS:
        core.pop()
        if len(core) > 1 and core[-1] == "and":  # "Smith & Co." -> "smith"
            core.pop()
    if core and core[-1] in LEGAL_FORMS and core != words:
        core = words  # nothing but legal forms: keep them all ("Inc Co")
    # A name of punctuation alone ("!!!") keeps its folded spelling.
    key = " ".join(core) or folded
    return key[:COMPANY_KEY_MAX].rstrip()


def clean_company_name(name: str) -> str:
    """The display spelling: trimmed with inner whitespace collapsed, case kept."""
    return " ".join(name.split())


def normalize_email(email: str) -> str:
    """Trim and lower-case the domain; the local part is kept as typed (RFC 5321)."""
    email = email.strip()
    local, sep, domain = email.rpartition("@")
    if not sep:
        return email
    return f"{local}@{domain.lower()}"
