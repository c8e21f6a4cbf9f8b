"""Normalisation rules for values users type in many spellings."""

from __future__ import annotations


def normalize_company_name(name: str) -> str:
    """The key two company names must share to be one company.

    Trim, collapse inner whitespace, case-fold: "Google", " google " and
    "GOOGLE" are one company.
    """
    return " ".join(name.split()).casefold()


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
