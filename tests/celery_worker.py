"""A real Celery worker on Redis for the tests that prove background work runs in production's shape
(``JICENG_TEST_REDIS_URL``; CI sets it and starts Redis): a worker process of the project on a queue
of its own, against the test database, which it must be able to open (PostgreSQL, or SQLite in a file)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection


def _worker_database_url() -> str | None:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    name = str(db["NAME"])
    if connection.vendor == "sqlite" and "memory" not in name and name != ":memory:":
        return f"sqlite:///{name}"
    return None


@contextmanager
def celery_worker() -> Iterator[Callable[..., None]]:
    """Start a worker (skipping the test where there can be none) and yield ``send(task_name, *args)``,
    which queues a task for it; ``wait_for`` polls while checking the worker is still alive."""
    broker = os.environ.get("JICENG_TEST_REDIS_URL")
    if not broker:
        pytest.skip("JICENG_TEST_REDIS_URL is not set: no Redis broker for a real Celery worker (CI sets it)")
    database_url = _worker_database_url()
    if database_url is None:
        pytest.skip("the test database is in-memory SQLite, which a worker process cannot open")
    from celery import Celery

    queue = f"jiceng-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiceng.settings", "DATABASE_URL": database_url,
           "JICENG_CELERY_BROKER_URL": broker, "JICENG_CELERY_EAGER": "false",
           "JICENG_DATA_DIR": str(settings.DATA_DIR), "JICENG_DB_CONN_MAX_AGE": "0"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jiceng", "worker", "--pool=solo", "--concurrency=1", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sender = Celery("jiceng-test", broker=broker)

    def send(name: str, *args) -> None:
        sender.send_task(name, args=list(args), queue=queue)

    send.worker = worker  # type: ignore[attr-defined]
    try:
        yield send
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for(send, done: Callable[[], bool], seconds: float = 60) -> None:
    """Poll ``done`` until it holds or ``seconds`` pass, failing at once if the worker died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        assert send.worker.poll() is None, send.worker.stdout.read().decode(errors="replace")[-3000:]
        time.sleep(0.2)
