"""Events API: intake (staff and the public), the case list and page, every workflow step, whistles,
supervision, rating and the command centre's numbers.

Thin: parse, call the services and selectors, render. Cases out of the caller's scope are 404; the
workflow table (workflow.py) decides who may act, the services enforce it. The public endpoints
(resident intake, "me too", rating through the signed link) need no login and are rate-limited.

One router: each module adds its operations to it when imported, so the imports below keep the
order the operations had in one file (the URL patterns, the OpenAPI document).
"""

# isort: off
from . import intake, cases, steps, numbers, catalogue  # noqa: F401  (registers the operations, in this order)
# isort: on
from .common import router
from .intake import phone_key
from .schemas import StaffIntakeIn

__all__ = ["StaffIntakeIn", "phone_key", "router"]
