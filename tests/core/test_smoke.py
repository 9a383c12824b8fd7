from jiceng.core.models import AuditLog
from jiceng.regions.models import Region


def test_small_county_builds_through_services_and_audits_each_write(county):
    assert Region.objects.count() == 11
    assert county.a1_1.path == "/350724/350724001/350724001001/A1/A1-1/"
    assert AuditLog.objects.filter(action="region.create").count() == 11
