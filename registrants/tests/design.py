"""The product's lifecycle table (docs/api.md, decision records), written out independently of
registrants/lifecycle.py, so that tests hold the code to the design and a
change to the code's table is caught. One copy, for every test that needs it."""

from __future__ import annotations

# Every allowed (from, to) status move; any other pair is refused.
DESIGN_MOVES = frozenset(
    {
        ("registered", "checked_in"),
        ("registered", "cancelled"),
        ("checked_in", "registered"),
        ("checked_in", "entered"),
        ("checked_in", "cancelled"),
        ("entered", "exited"),
        ("exited", "entered"),
        # Corrections (organisers, with a note).
        ("entered", "checked_in"),
        ("exited", "checked_in"),
        ("entered", "cancelled"),
        ("exited", "cancelled"),
        ("cancelled", "registered"),
        # The waitlist: promotion (needs a free seat) or giving up.
        ("waitlisted", "registered"),
        ("waitlisted", "cancelled"),
    }
)

# The moves above that are corrections: organisers only, never without a
# note, never in bulk.
DESIGN_CORRECTIONS = frozenset(
    {
        ("entered", "checked_in"),
        ("exited", "checked_in"),
        ("entered", "cancelled"),
        ("exited", "cancelled"),
    }
)
