import pytest

from jiceng.core.errors import RateLimitedError
from jiceng.core.ratelimit import enforce, hit


@pytest.fixture(autouse=True)
def clear_cache():
    from django.core.cache import cache

    cache.clear()


def test_the_request_over_the_limit_is_refused_and_other_keys_are_not():
    assert all(hit("t", "1.2.3.4", limit=3, window=60) for _ in range(3))
    assert not hit("t", "1.2.3.4", limit=3, window=60)
    assert hit("t", "5.6.7.8", limit=3, window=60)
    with pytest.raises(RateLimitedError) as err:
        enforce("t", "1.2.3.4", limit=3, window=60)
    assert err.value.status == 429 and err.value.code == "rate_limited"


def test_a_new_window_starts_counting_again():
    import time_machine

    with time_machine.travel("2026-11-24 10:00:05", tick=False):
        for _ in range(2):
            assert hit("w", "k", limit=2, window=60)
        assert not hit("w", "k", limit=2, window=60)
    with time_machine.travel("2026-11-24 10:01:05", tick=False):
        assert hit("w", "k", limit=2, window=60)
