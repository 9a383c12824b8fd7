"""``core.views.local_next``: after a form, back to the page it names when that page is on this site —
never to another site (an open redirect), whether posted or in the query string."""

import pytest
from django.test import RequestFactory

from jiceng.core.views import local_next


@pytest.mark.parametrize(("posted", "query", "from_query", "expected"), [
    ("/events/12/", "", False, "/events/12/"),
    ("https://evil.example/", "", False, "/home/"),
    ("//evil.example/x", "", False, "/home/"),
    ("", "/people/residents/", False, "/home/"),  # the query string only when asked for
    ("", "/people/residents/", True, "/people/residents/"),
    ("", "https://evil.example/", True, "/home/"),
    ("/events/12/", "/people/", True, "/events/12/"),  # the posted one first
])
def test_only_pages_of_this_site(posted, query, from_query, expected):
    request = RequestFactory().post("/x/" + (f"?next={query}" if query else ""), {"next": posted} if posted else {})
    assert local_next(request, "/home/", from_query=from_query) == expected
