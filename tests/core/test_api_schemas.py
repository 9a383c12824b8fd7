"""The shared API input types: what their schema says is what they accept (schemathesis holds the
whole API to that; these pin the types themselves)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from jiceng.core.api_schemas import bounded_date, bounded_decimal, text


def test_a_decimal_is_a_json_number_or_a_string_of_digits():
    points = TypeAdapter(bounded_decimal(5, places=2))
    assert points.validate_json("77.5") == Decimal("77.5")
    assert points.validate_json('"77.5"') == Decimal("77.5")
    assert points.validate_json("99999.99") == Decimal("99999.99")
    for refused in ('" 12"', '""', '"1e2"', "true", "1.005", "100000", "-1"):
        with pytest.raises(ValidationError):
            points.validate_json(refused)
    string = points.json_schema()["anyOf"][1]
    assert string == {"type": "string", "pattern": r"^\d{1,5}(\.\d{1,2})?$"}


def test_a_dates_years_are_in_its_schema():
    day = TypeAdapter(bounded_date(2000, 2100))
    pattern = day.json_schema()["pattern"]
    assert pattern == r"^(20\d\d|2100)-"
    assert re.match(pattern, "2100-12-31") and not re.match(pattern, "1999-12-31")
    assert day.validate_python("2100-12-31") == date(2100, 12, 31)
    with pytest.raises(ValidationError):
        day.validate_python("1999-12-31")
    assert TypeAdapter(bounded_date(1900, 2100)).json_schema()["pattern"] == r"^(19\d\d|20\d\d|2100)-"


def test_text_refuses_nul_and_says_so_in_its_schema():
    name = TypeAdapter(text(10))
    assert name.json_schema()["pattern"] == r"^[^\x00]*$"
    with pytest.raises(ValidationError):
        name.validate_python("a\x00b")
