"""The formula evaluator: a whitelist over ``ast``, never Python's eval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiceng.assessment import formula, selectors, services
from jiceng.core.errors import ApplicationError
from tests.assessment.helpers import close_compute_publish, period, raters

NAMES = {"a": Decimal(80), "b": Decimal(0), "c": Decimal("2.5")}


@pytest.mark.parametrize("text", [
    "a.__class__", "a.real", "__import__('os')", "open('x')", "eval('1')", "__builtins__", "_a",
    "import os", "lambda: 1", "[a][0]", "{'a': 1}", "a if b else c", "a ** 2", "a // 2", "a % 2", "a < b",
    "'abc'", "True", "None", "x", "round(a, ndigits=1)", "min(*[a, b])", "min(a)", "safe_div(a, b)",
    "round(a, c)", "round(a, 9)", "a / b", "a / (c - c)", "a / 0", "a / -0.0", "(lambda: 1)()", "a; b",
    "f'{a}'", "[x for x in (1,)]", "a.__dict__['x']", "", "   ", "a" + " + a" * 600, "-" * 60 + "a",
])
def test_rejected(text):
    with pytest.raises(ApplicationError) as exc:
        formula.parse(text, NAMES)
    assert exc.value.field == "formula"


@pytest.mark.parametrize(("text", "expected"), [
    ("a + c * 2", "85.0"), ("-(a - 100)", "20"), ("a / 4", "20"), ("a / -0.5", "-160"),
    ("safe_div(a, b, 7)", "7"), ("safe_div(a, c, 0)", "32"), ("min(a, 90, c)", "2.5"), ("max(a, 90)", "90"),
    ("round(c)", "3"), ("round(1 / 3, 2)", "0.33"), ("round(2.345, 2)", "2.35"),
])
def test_evaluates_with_decimals(text, expected):
    assert formula.formula_evaluate(text, NAMES) == Decimal(expected)


def test_parse_is_the_only_gate_and_does_not_use_eval(monkeypatch):
    import builtins

    def boom(*args, **kwargs):
        raise AssertionError("eval must never be called")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    assert formula.formula_evaluate("safe_div(a, c, 0) + 1", NAMES) == Decimal(33)


@pytest.mark.django_db
def test_scheme_formula_drives_the_total(county):
    m = county.county_staff
    definition = {
        "groups": [{"code": "a", "name": "甲", "kind": "single", "weight": "60", "max_points": "100"},
                   {"code": "b", "name": "乙", "kind": "single", "weight": "40", "max_points": "50"}],
        "indicators": [], "formula": "round(a * 0.5 + safe_div(b, a, 0) * 10, 1)",
    }
    scheme = services.scheme_create(actor=m, name="公式", subject_type="community", period_type="month",
                                    region=county.county, definition=definition)
    p = period(m, scheme, "1月", date(2026, 1, 1), date(2026, 1, 31))
    s = services.period_subject_add(actor=m, period=p, obj=county.a)
    (r,) = raters("r", 1, county.c)
    services.assignment_create(actor=m, period=p, group="a", rater=r, subjects=[s])
    services.assignment_create(actor=m, period=p, group="b", rater=r, subjects=[s])
    services.period_open_scoring(actor=m, period=p)
    services.rating_save(actor=r, period=p, group="a", subject=s, score=80, submit=True)
    services.rating_save(actor=r, period=p, group="b", subject=s, score=25, submit=True)
    close_compute_publish(m, p)
    # a = 80/100 → 80 (percent), b = 25/50 → 50; 80 × 0.5 + 50/80 × 10 = 40 + 6.25 = 46.25 → round(…, 1) = 46.3
    result = p.results.get()
    assert str(result.total) == "46.30"
    # the formula reads with the groups' names (a 甲, b 乙) and × for *
    assert "按公式 round(甲 × 0.5 + safe_div(乙, 甲, 0) × 10, 1) = 46.3" in selectors.result_explain(m, result)["lines"]
