import pytest

from jiceng.core import dbguard

# Let Django empty tables (audit log included) between transactional tests; tests of the
# append-only guarantee turn this off for themselves (see tests/core/test_audit.py).
dbguard.MAINTENANCE["on"] = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rate limits, refusals already recorded …): ids are
    reused after a test's rollback, so a key left by one test could otherwise reach the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def county(db):
    from tests.factories import small_county

    return small_county()


@pytest.fixture
def login(client):
    """Log a named user into the Django test client."""

    def _login(user):
        """Admin roles must pass a second factor: give them a verified session, as after a code."""
        from jiceng.people.choices import ADMIN_ROLES

        client.force_login(user)
        if user.role in ADMIN_ROLES:
            from tests.accounts.helpers import pass_second_factor

            pass_second_factor(client, user)
        return client

    return _login
