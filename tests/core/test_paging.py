"""``core.paging``: a page read as ids first, then its rows, is the page Django's ``Paginator`` gives —
the same rows in the same order, with the queryset's joins — while the sort reads only the ids."""

from django.core.paginator import Paginator
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from jiceng.core.api_schemas import PageParams, paginate
from jiceng.core.paging import IdPaginator, page_of, rows_by_ids
from jiceng.regions.models import Region


def _regions():
    # ordered by a column that is not the key, ties broken by the key (as every list here is)
    return Region.objects.select_related("parent").order_by("-depth", "name", "id")


def test_every_page_is_the_paginators_page(county):
    everything = list(_regions())
    assert len(everything) == 11
    for per_page, orphans in ((3, 0), (4, 1), (11, 0), (20, 0)):
        ours, django = IdPaginator(_regions(), per_page, orphans=orphans), Paginator(_regions(), per_page,
                                                                                     orphans=orphans)
        assert ours.num_pages == django.num_pages
        for number in ours.page_range:
            mine, theirs = ours.page(number), django.page(number)
            assert [r.pk for r in mine] == [r.pk for r in theirs]
            assert (mine.start_index(), mine.end_index(), mine.has_next()) == (
                theirs.start_index(), theirs.end_index(), theirs.has_next())
    # the last page of 11 by 3 holds two rows: the 10th and the 11th
    assert [r.pk for r in IdPaginator(_regions(), 3).page(4)] == [r.pk for r in everything[9:]]


def test_the_sort_reads_ids_and_the_rows_come_with_their_joins(county):
    with CaptureQueriesContext(connection) as ctx:
        rows = rows_by_ids(_regions(), 2, 4)
        parents = [r.parent.name if r.parent_id else None for r in rows]  # no query: joined
    assert len(ctx.captured_queries) == 2
    ids_sql, rows_sql = (q["sql"].lower() for q in ctx.captured_queries)
    assert "order by" in ids_sql and "boundary" not in ids_sql  # the sort carries the ids, not the rows
    assert "boundary" in rows_sql and "order by" not in rows_sql
    expected = list(_regions())[2:6]
    assert [r.pk for r in rows] == [r.pk for r in expected]
    assert parents == [r.parent.name if r.parent_id else None for r in expected]


def test_edges(county):
    assert rows_by_ids(_regions(), 0, 0) == []
    assert rows_by_ids(_regions(), 50, 10) == []
    assert rows_by_ids(_regions().none(), 0, 10) == []
    # a page number out of range gives the nearest page, as Django's get_page does
    request = RequestFactory().get("/", {"page": "99"})
    assert page_of(request, _regions(), 5).number == 3
    assert page_of(RequestFactory().get("/", {"page": "x"}), _regions(), 5).number == 1
    # a list already in memory pages as usual
    assert list(page_of(RequestFactory().get("/", {"page": "2"}), list(range(7)), 5)) == [5, 6]


def test_the_api_page(county):
    body = paginate(_regions(), PageParams(limit=4, offset=8), lambda r: r.pk)
    assert body["count"] == 11 and body["items"] == [r.pk for r in list(_regions())[8:]]
    assert paginate(_regions(), PageParams(limit=4, offset=11), lambda r: r.pk)["items"] == []


def test_a_capped_count_stops_at_the_cap_and_says_more_exist(county):
    """11 regions: a cap of 5 counts 5 and says there are more (pages of 2: 3, the last holding the
    5th only); a cap of 11 or more counts them all, exactly, and says nothing more exists."""
    capped = IdPaginator(_regions(), 2, count_cap=5)
    with CaptureQueriesContext(connection) as ctx:
        assert capped.count == 5
    assert "limit" in ctx.captured_queries[0]["sql"].lower()  # the database stops reading at the cap
    assert capped.capped and capped.num_pages == 3
    everything = list(_regions())
    assert [r.pk for r in capped.page(3)] == [everything[4].pk]
    assert not capped.page(3).has_next()
    for cap in (11, 12):
        exact = IdPaginator(_regions(), 2, count_cap=cap)
        assert exact.count == 11 and not exact.capped and exact.num_pages == 6
    plain = IdPaginator(_regions(), 2)
    assert plain.count == 11 and not plain.capped


def test_a_known_count_is_not_counted_again(county):
    """A number's cases: the figure is the count (11 here), so no COUNT query is made, and the pages are
    the paginator's pages for that count."""
    known = IdPaginator(_regions(), 4, count=11)
    with CaptureQueriesContext(connection) as ctx:
        assert known.count == 11 and known.num_pages == 3
    assert ctx.captured_queries == []
    assert [r.pk for r in known.page(3)] == [r.pk for r in list(_regions())[8:]]
    request = RequestFactory().get("/", {"page": "3"})
    assert [r.pk for r in page_of(request, _regions(), 4, count=11)] == [r.pk for r in list(_regions())[8:]]
    with CaptureQueriesContext(connection) as ctx:
        body = paginate(_regions(), PageParams(limit=4, offset=8), lambda r: r.pk, count=11)
    assert body["count"] == 11 and body["items"] == [r.pk for r in list(_regions())[8:]]
    assert not any("count(" in q["sql"].lower() for q in ctx.captured_queries)
