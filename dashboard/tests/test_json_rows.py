"""dashboard/json_rows.py keys the JSON by the inner query's column names."""

from __future__ import annotations

import pytest
from django.db.models import F

from dashboard.json_rows import JsonRows
from registrants.models import StatusChange


def test_a_field_whose_column_is_not_its_name_must_be_named_by_an_annotation():
    with pytest.raises(ValueError, match="'actor'"):
        JsonRows(StatusChange.objects.values("actor"))
    rows = JsonRows(StatusChange.objects.values("actor_id", who=F("actor__username")))
    assert rows.names == ["actor_id", "who"]
