"""三员分立: the system admin, the security admin and the audit admin are separate accounts and none
can do another's work — in the services and in the back office (Django admin)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from jiceng.core.admin import AuditLogAdmin
from jiceng.core.errors import PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from jiceng.people.models import User
from jiceng.people.services import department_create, user_create, user_set_active, user_set_role
from jiceng.regions.choices import RegionLevel
from jiceng.regions.services import region_create, region_update

PASSWORD = "Qx7-lantern-Moss"


def new_account(county, actor, username="grace"):
    return user_create(actor=actor, username=username, password=PASSWORD, role=Role.COMMUNITY_STAFF,
                       region=county.a)


# --- system admin ------------------------------------------------------------------------------


def test_system_admin_can_create_accounts(county):
    user = new_account(county, county.sysadmin)
    assert (user.role, user.region, user.is_staff) == (Role.COMMUNITY_STAFF, county.a, False)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_system_admin_cannot_create_an_admin_account(county, role):
    with pytest.raises(PermissionDeniedError):
        user_create(actor=county.sysadmin, username="grace", password=PASSWORD, role=role)
    assert not User.objects.filter(username="grace").exists()


def test_system_admin_cannot_grant_roles(county):
    with pytest.raises(PermissionDeniedError):
        user_set_role(actor=county.sysadmin, user=county.bob, role=Role.COUNTY_STAFF, region=county.county)
    county.bob.refresh_from_db()
    assert county.bob.role == Role.COMMUNITY_STAFF


def test_system_admin_maintains_regions_and_departments(county):
    region_create(actor=county.sysadmin, code="B1-1", name="乙一网格南片", level=RegionLevel.GRID2, parent=county.b1)
    department_create(actor=county.sysadmin, code="ZJ", name="住建局", kind="housing", region=county.county)


def test_system_admin_cannot_disable_an_admin_account(county):
    with pytest.raises(PermissionDeniedError):
        user_set_active(actor=county.sysadmin, user=county.auditor, active=False)


# --- security admin ----------------------------------------------------------------------------


def test_security_admin_can_grant_roles(county):
    user = user_set_role(actor=county.secadmin, user=county.bob, role=Role.STREET_STAFF, region=county.east)
    assert (user.role, user.region) == (Role.STREET_STAFF, county.east)


def test_security_admin_grants_the_admin_roles(county):
    grace = new_account(county, county.sysadmin)
    user = user_set_role(actor=county.secadmin, user=grace, role=Role.AUDIT_ADMIN)
    assert (user.role, user.is_staff) == (Role.AUDIT_ADMIN, True)


def test_security_admin_cannot_change_own_role(county):
    with pytest.raises(PermissionDeniedError):
        user_set_role(actor=county.secadmin, user=county.secadmin, role=Role.SYSTEM_ADMIN)
    county.secadmin.refresh_from_db()
    assert county.secadmin.role == Role.SECURITY_ADMIN


def test_security_admin_cannot_create_regions(county):
    with pytest.raises(PermissionDeniedError):
        region_create(actor=county.secadmin, code="B1-1", name="乙一网格南片", level=RegionLevel.GRID2,
                      parent=county.b1)
    with pytest.raises(PermissionDeniedError):
        region_update(actor=county.secadmin, region=county.b1, name="改名")


def test_security_admin_cannot_create_accounts(county):
    with pytest.raises(PermissionDeniedError):
        new_account(county, county.secadmin)


def test_security_admin_can_disable_an_account_but_not_its_own(county):
    user_set_active(actor=county.secadmin, user=county.bob, active=False)
    county.bob.refresh_from_db()
    assert county.bob.is_active is False
    with pytest.raises(PermissionDeniedError):
        user_set_active(actor=county.secadmin, user=county.secadmin, active=False)


# --- audit admin -------------------------------------------------------------------------------


def test_audit_admin_can_neither_create_accounts_nor_grant_roles(county):
    with pytest.raises(PermissionDeniedError):
        new_account(county, county.auditor)
    with pytest.raises(PermissionDeniedError):
        user_set_role(actor=county.auditor, user=county.bob, role=Role.COUNTY_STAFF, region=county.county)
    with pytest.raises(PermissionDeniedError):
        region_create(actor=county.auditor, code="B1-1", name="乙一网格南片", level=RegionLevel.GRID2,
                      parent=county.b1)
    with pytest.raises(PermissionDeniedError):
        department_create(actor=county.auditor, code="ZJ", name="住建局", kind="housing", region=county.county)


def test_region_staff_cannot_manage_accounts(county):
    with pytest.raises(PermissionDeniedError):
        new_account(county, county.county_staff)
    with pytest.raises(PermissionDeniedError):
        user_set_role(actor=county.county_staff, user=county.alice, role=Role.STREET_STAFF, region=county.east)


def test_a_disabled_admin_can_do_nothing(county):
    county.sysadmin.is_active = False
    with pytest.raises(PermissionDeniedError):
        new_account(county, county.sysadmin)


# --- the back office (Django admin) ------------------------------------------------------------


def audit_admin_allows(user) -> bool:
    request = RequestFactory().get("/admin/core/auditlog/")
    request.user = user
    model_admin = AuditLogAdmin(AuditLog, admin.site)
    return model_admin.has_view_permission(request) and model_admin.has_module_permission(request)


def test_only_the_audit_admin_may_view_the_audit_log(county):
    assert audit_admin_allows(county.auditor)
    assert not audit_admin_allows(county.sysadmin)
    assert not audit_admin_allows(county.secadmin)
    assert not audit_admin_allows(county.county_staff)


def test_nobody_may_change_or_delete_audit_records(county):
    request = RequestFactory().get("/admin/core/auditlog/")
    model_admin = AuditLogAdmin(AuditLog, admin.site)
    for user in (county.auditor, county.sysadmin, county.secadmin):
        request.user = user
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_audit_admin_reads_the_audit_log_in_the_back_office(county, login):
    response = login(county.auditor).get(reverse("admin:core_auditlog_changelist"))
    assert response.status_code == 200
    assert "region.create" in response.content.decode()


def test_non_admin_roles_cannot_enter_the_back_office(county, login):
    response = login(county.alice).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_system_admin_creates_an_account_in_the_back_office(county, login):
    response = login(county.sysadmin).post(reverse("admin:people_user_add"), {
        "username": "grace", "full_name": "Grace", "password": PASSWORD, "role": Role.COMMUNITY_STAFF,
        "region": county.a.pk, "department": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    grace = User.objects.get(username="grace")
    assert (grace.role, grace.region) == (Role.COMMUNITY_STAFF, county.a)
    entry = AuditLog.objects.filter(action="user.create").get()
    assert (entry.actor_id, entry.object_id) == (county.sysadmin.pk, str(grace.pk))


def test_security_admin_cannot_add_accounts_or_regions_in_the_back_office(county, login):
    client = login(county.secadmin)
    assert client.get(reverse("admin:people_user_add")).status_code == 403
    assert client.get(reverse("admin:regions_region_add")).status_code == 403


def test_security_admin_grants_a_role_in_the_back_office(county, login):
    response = login(county.secadmin).post(reverse("admin:people_user_change", args=[county.bob.pk]), {
        "role": Role.STREET_STAFF, "region": county.east.pk, "department": "", "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    county.bob.refresh_from_db()
    assert (county.bob.role, county.bob.region) == (Role.STREET_STAFF, county.east)
    assert AuditLog.objects.filter(action="user.set_role", actor_id=county.secadmin.pk).count() == 1


def test_system_admin_cannot_grant_a_role_in_the_back_office(county, login):
    response = login(county.sysadmin).post(reverse("admin:people_user_change", args=[county.bob.pk]), {
        "role": Role.COUNTY_STAFF, "region": county.county.pk, "department": "", "is_active": "on",
    })
    assert response.status_code == 403
    county.bob.refresh_from_db()
    assert county.bob.role == Role.COMMUNITY_STAFF


def test_audit_admin_cannot_open_accounts_or_regions_in_the_back_office(county, login):
    client = login(county.auditor)
    assert client.get(reverse("admin:people_user_changelist")).status_code == 403
    assert client.get(reverse("admin:regions_region_changelist")).status_code == 403


def test_the_security_admin_binds_an_account_with_pickers_that_search_and_links_that_open(county, login):
    """The account page's region and department pickers search by name or code (a province has tens of
    thousands of regions) and name a region with its code; every back-office link on the page opens
    for the security admin, who may read but not change the regions and departments."""
    import re

    from jiceng.people.services import department_create

    dept = department_create(actor=county.sysadmin, code="ZJ", name="住建局", kind="housing", region=county.county)
    client = login(county.secadmin)
    page = client.get(reverse("admin:people_user_change", args=[county.bob.pk])).content.decode()
    assert page.count("admin-autocomplete") >= 2
    assert f'<option value="{county.b.pk}" selected>乙社区（{county.b.code}）</option>' in page
    links = {h for h in re.findall(r'href="(/admin/[^"#]*)"', page) if "logout" not in h}
    assert links
    for href in links:
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href
    found = client.get("/admin/autocomplete/", {"app_label": "people", "model_name": "user", "field_name": "region",
                                                "term": "乙"}).json()
    assert {"id": str(county.b.pk), "text": f"乙社区（{county.b.code}）"} in found["results"]
    by_code = client.get("/admin/autocomplete/", {"app_label": "people", "model_name": "user",
                                                  "field_name": "department", "term": "ZJ"}).json()
    assert by_code["results"] == [{"id": str(dept.pk), "text": "住建局"}]
    # reading is all: no change to a region or a department
    region_page = client.get(reverse("admin:regions_region_change", args=[county.b.pk])).content.decode()
    assert 'name="_save"' not in region_page
    refused = client.post(reverse("admin:regions_region_change", args=[county.b.pk]), {"name": "改名", "code": "x"})
    assert refused.status_code == 403
    county.b.refresh_from_db()
    assert county.b.name == "乙社区"
    # the audit admin still has none of it
    auditor = login(county.auditor)
    assert auditor.get(reverse("admin:regions_region_changelist")).status_code == 403
    assert auditor.get("/admin/autocomplete/", {"app_label": "people", "model_name": "user", "field_name": "region",
                                                "term": "乙"}).status_code == 403


def test_a_new_regions_boundary_box_starts_empty(county, login):
    import re

    page = login(county.sysadmin).get(reverse("admin:regions_region_add")).content.decode()
    box = re.search(r'<textarea name="boundary"[^>]*>(.*?)</textarea>', page, re.S)
    assert box is not None and box.group(1).strip() == ""  # not "null"
