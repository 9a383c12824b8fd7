"""Pages of long lists: the page's ids first, then its rows.

A list ordered by one thing and filtered by another (a year of cases newest first, narrowed to a
region and a period) makes the database sort every matching row before it can return the first
fifty. ``Paginator`` sorts the full rows — every column, with their joins — so the sort carries the
whole year. Here the sort carries only the ordering columns and the ids (one narrow query, the
same filters and order), and the page's rows are then read by primary key, at most one page of
them, in that order. The rows, their order and the counts are the queryset's own; only the work
changes (on the demo county's year of cases, the rows of a number's case list in under a third of
the time for page 1 and a seventh for page 50 — docs/benchmarks.md, "A number's cases").
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


def rows_by_ids(qs: QuerySet, offset: int, limit: int) -> list:
    """``list(qs[offset:offset + limit])``, read as ids first, then those rows by primary key."""
    if limit <= 0:
        return []
    ids = list(qs.values_list("pk", flat=True)[offset:offset + limit])
    if not ids:
        return []
    # The same queryset (its select_related, annotations, deferred fields), reduced to these rows;
    # its own filters still apply, so a row changed in between is left out rather than shown wrongly.
    found = {row.pk: row for row in qs.order_by().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


class IdPaginator(Paginator):
    """A ``Paginator`` whose pages of a queryset are read through ``rows_by_ids``; any other sequence
    (a list already in memory) pages as usual.

    With ``count_cap`` the count stops there: a list of a province's year (tens of millions of rows)
    is counted to ``count_cap`` + 1 rows, not to its end, ``capped`` says that more exist, and only
    the pages within the cap are offered (narrow the filter to reach older rows). Without it the
    count is exact, as a list that stands for a number must be: ``count``, when the caller knows it
    (a number's cases: the figure), or else counted."""

    def __init__(self, object_list, per_page, *, count_cap: int | None = None, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_cap = count_cap
        self.known_count = count
        self.capped = False

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        if self.count_cap is None or not isinstance(self.object_list, QuerySet):
            return super().count
        # COUNT over a subquery with a LIMIT: the database stops reading at the cap
        found = self.object_list.order_by()[:self.count_cap + 1].count()
        self.capped = found > self.count_cap
        return min(found, self.count_cap)

    def page(self, number) -> Page:
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(rows_by_ids(self.object_list, bottom, top - bottom), number, self)


def page_of(request, qs: QuerySet | Sequence, per_page: int, *, count_cap: int | None = None,
            count: int | None = None) -> Page:
    """The page the request asks for (``?page=``; a number out of range gives the nearest page);
    ``count_cap``, ``count``: see ``IdPaginator``."""
    return IdPaginator(qs, per_page, count_cap=count_cap, count=count).get_page(request.GET.get("page"))
