"""``core.edits.editable_fields_check``: every service that edits a record by named fields refuses a field
it does not change — at that field, before anything is written — with the same message."""

import pytest

from jiceng.core.errors import ApplicationError
from jiceng.core.models import AuditLog
from jiceng.people.services import grid_worker_create, grid_worker_update, resident_create, resident_update
from jiceng.regions.services import region_update


def refused(call, **changes) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**changes)
    return caught.value


def test_services_refuse_fields_they_do_not_edit_and_write_nothing(county):
    zhang = resident_create(actor=county.alice, name="张三", grid=county.a1_1)
    worker = grid_worker_create(actor=county.alice, name="甲网格员", kind="full_time", community=county.a,
                                grids=[county.a1_1])
    logged = AuditLog.objects.count()
    cases = [
        (lambda **c: resident_update(actor=county.alice, resident=zhang, **c), {"name": "张三丰", "id_number_hash": "x"}),
        (lambda **c: grid_worker_update(actor=county.alice, worker=worker, **c), {"name": "乙", "community": 1}),
        (lambda **c: region_update(actor=county.county_staff, region=county.a, **c), {"name": "丙", "path": "/x/",
                                                                                      "level": 1}),
    ]
    for call, changes in cases:
        error = refused(call, **changes)
        unknown = sorted(set(changes) - {"name"})
        assert (error.field, error.message) == (unknown[0], f"不能修改字段：{', '.join(unknown)}")
    zhang.refresh_from_db()
    worker.refresh_from_db()
    county.a.refresh_from_db()
    assert (zhang.name, worker.name, county.a.name) == ("张三", "甲网格员", "甲社区")
    assert AuditLog.objects.count() == logged
