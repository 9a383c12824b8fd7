import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_login_counters():
    """Failure counters per address live in the cache (shared by the whole test process)."""
    cache.clear()
    yield
    cache.clear()
