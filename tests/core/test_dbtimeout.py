"""A ceiling on one SQL statement of a web request (core.dbtimeout, PostgreSQL): who gets it, and
what the caller sees when the database cancels a statement for it — a readable 503 on a page, in
the API's error body and in Open311's error format, instead of a server error."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from jiceng.core import dbtimeout
from jiceng.events import selectors
from tests.events.factories import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),  # a cancelled statement must not abort the test's transaction
]


@pytest.fixture
def world(db):
    from django.core.cache import cache

    cache.clear()  # the public endpoints' rate limits start empty
    return build_world()


def shown(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        return cur.fetchone()[0]


def opened_in_a_thread(*, exempt: bool):
    """A connection opened by a new thread (a request thread, or a background one that says so)."""
    out = {}

    def run():
        if exempt:
            dbtimeout.exempt_this_thread()
        conn = connections.create_connection("default")
        conn.ensure_connection()
        out["timeout"], out["wrapped"] = shown(conn), dbtimeout.translate_cancelled in conn.execute_wrappers
        conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out["timeout"], out["wrapped"]


@pytest.mark.parametrize(("serving", "exempt", "expected"), [
    (True, False, "7s"),    # a gunicorn thread serving pages and API calls
    (True, True, "0"),      # the embedded mode's timer thread in the same process
    (False, False, "0"),    # a Celery worker or a command (they do not load jiceng.wsgi)
])
def test_only_a_serving_processs_request_threads_get_the_ceiling(settings, monkeypatch, serving, exempt, expected):
    settings.JICENG_DB_STATEMENT_TIMEOUT = 7
    monkeypatch.setitem(dbtimeout.SERVING, "on", serving)
    assert opened_in_a_thread(exempt=exempt) == (expected, expected != "0")


def test_zero_turns_it_off(settings, monkeypatch):
    settings.JICENG_DB_STATEMENT_TIMEOUT = 0
    monkeypatch.setitem(dbtimeout.SERVING, "on", True)
    assert opened_in_a_thread(exempt=False) == ("0", False)


def test_the_timer_thread_is_exempt(monkeypatch):
    """The in-process scheduler's loop marks its thread before it opens a connection."""
    from jiceng.events import tasks

    seen = {}

    def once(self, **kwargs):
        seen["exempt"] = getattr(dbtimeout._thread, "exempt", False)
        self._stop.set()

    monkeypatch.setattr(tasks.InprocessScheduler, "run_once", once)
    scheduler = tasks.InprocessScheduler(interval=0.01).start()
    scheduler.stop()
    assert seen == {"exempt": True}
    assert getattr(dbtimeout._thread, "exempt", False) is False  # only that thread


@pytest.fixture
def slow_numbers(monkeypatch, settings):
    """This connection cancels a statement after 0.2 s, and the numbers take two seconds of the database."""
    settings.JICENG_DB_STATEMENT_TIMEOUT = 0.2
    connection.ensure_connection()
    dbtimeout.statement_timeout_apply(connection, 0.2)

    def slow(**kwargs):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_sleep(2)")
        raise AssertionError("the statement was not cancelled")

    monkeypatch.setattr(selectors, "event_numbers", slow)
    yield
    with connection.cursor() as cur:
        cur.execute("RESET statement_timeout")
    connection.execute_wrappers.remove(dbtimeout.translate_cancelled)


def test_a_cancelled_statement_is_a_readable_503_on_a_page_and_in_the_api(world, slow_numbers, caplog):
    client = Client()
    client.force_login(world.county)
    page = client.get("/events/numbers/")
    assert page.status_code == 503
    assert "查询用时超过 0.2 秒，已被取消。请缩小范围" in page.content.decode()
    answer = client.get("/api/events/numbers?start=2025-03-01&end=2025-04-01")
    assert answer.status_code == 503
    assert answer.json()["code"] == "query_timeout" and "已被取消" in answer.json()["message"]
    # the connection is usable afterwards, and the log says where, never the statement's parameters
    assert client.get("/api/events/cases").status_code == 200
    assert "statement cancelled after its 0.2 s timeout" in caplog.text and "pg_sleep" not in caplog.text


def test_a_cancelled_statement_in_open311_is_in_the_specifications_error_format(world, slow_numbers, monkeypatch):
    from jiceng.events import open311

    def slow_service(cat):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(open311, "_service", slow_service)
    answer = Client().get("/open311/v2/services.json")
    assert answer.status_code == 503
    assert answer.json()[0]["code"] == 503 and "已被取消" in answer.json()[0]["description"]
