from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 3 March 2025, 09:00 in 松溪: a plain working week (no holiday until 清明, 4 April).
MONDAY_9AM = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def world(db):
    from tests.events.factories import build_world

    return build_world()


@pytest.fixture
def fresh_limits():
    """Rate limits and cached answers start empty (the public pages count requests in the cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    """Time stands still at Monday 09:00 until the test moves it (``clock.move_to(at(...))``)."""
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


from tests.events.march import march  # noqa: E402,F401  (the hand-counted March fixture, shared)


@pytest.fixture
def fresh_media(settings, tmp_path, fresh_limits):
    """Uploaded photos land in a temporary MEDIA_ROOT; rate limits start empty."""
    settings.MEDIA_ROOT = tmp_path
    yield tmp_path
