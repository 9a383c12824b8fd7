"""Assessment API: schemes, periods and their ranking, explanations and history of results, a
rater's own assignments and ratings, 加减分 entries and the period workflow (公布 and 复核后公布 previewed
first) — and setting a round up: a scheme from a shipped template, a period, its subjects (one, or a
region's in bulk) and raters.

Parse, call the services and selectors, render. Every read goes through the selectors (data
scope: managers see the periods of their region subtree; raters only their own assignments; a
subject only its own published results).

One router: each module adds its operations to it when imported, so the imports below keep the
order the operations had in one file (the URL patterns, the OpenAPI document).
"""

# isort: off
from . import schemes, periods, results, rating, setup  # noqa: F401  (registers the operations, in this order)
# isort: on
from .common import router

__all__ = ["router"]
