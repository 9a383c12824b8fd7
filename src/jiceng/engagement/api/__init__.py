"""Engagement API: wishes, points rules and ledgers, shops and redemptions, activities and rankings.

Thin: parse, call the services and selectors, render. Staff act within their scope (out-of-scope
records are 404); an account of role 居民 acts as its linked resident (its own wishes, account and
sign-ups). Responses carry no personal data beyond names; the wall masks even those.

One router: each module adds its operations to it when imported, so the imports below keep the
order the operations had in one file (the URL patterns, the OpenAPI document).
"""

# isort: off
from . import wishes, points, shops, volunteering, rankings  # noqa: F401  (registers the operations, in this order)
# isort: on
from .common import router

__all__ = ["router"]
