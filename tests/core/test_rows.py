"""``core.rows``: reads by key without the ORM's compilation give the ORM's own instances
(converted and decrypted values), match nothing on an empty list and refuse other lookups."""

import pytest
from django.db import connection

from jiceng.core.rows import row, rows
from jiceng.people.models import User
from jiceng.regions.models import Region

PHONE = "13812345678"


def test_a_row_by_key_is_the_orms_instance(county):
    county.alice.phone = PHONE
    county.alice.save()
    found = row(User, pk=county.alice.pk)
    assert isinstance(found, User) and found.pk == county.alice.pk
    assert found.phone == PHONE  # decrypted like the ORM does
    assert found.date_joined == User.objects.get(pk=county.alice.pk).date_joined  # converted (aware)
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM people_user WHERE id = %s", [county.alice.pk])
        assert PHONE not in cur.fetchone()[0]
    assert row(User, pk=10**9) is None
    assert row(User, username=county.alice.username, is_active=True).pk == county.alice.pk
    assert row(User, username=county.alice.username, is_active=False) is None


def test_rows_by_a_list(county):
    paths = [county.a.path, county.b.path, "/nowhere/"]
    assert sorted(r.pk for r in rows(Region, path__in=paths)) == sorted([county.a.pk, county.b.pk])
    assert rows(Region, path__in=[]) == []
    assert {r.pk for r in rows(Region, path__in=paths, level__in=[county.a.level])} == {county.a.pk, county.b.pk}


def test_only_equality_and_lists(county):
    with pytest.raises(ValueError):
        rows(Region, name__contains="A")
    with pytest.raises(User.MultipleObjectsReturned):
        row(User, is_active=True)
