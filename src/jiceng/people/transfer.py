"""Excel import and export of residents and grid workers.

Import is for region staff (区县、街道、社区工作人员), within their scope: a row whose grid or
community lies outside it is a bad row. Every row is checked first (required cells, ID number
check digit and uniqueness in the file and in the database, phone, choices, tags separated by 、
or commas); any bad row rejects the file. Then each row goes through ``resident_create`` /
``grid_worker_create`` in one transaction, so each record is audited like any other.

Export uses the list pages' own filter forms on the actor's scope, and writes masked values only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.crypto import blind_index
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.excel import (
    Column,
    ImportRejected,
    RowErrors,
    SheetRow,
    Transfer,
    cell_text,
    choice_labels,
    describe_filters,
    long_number_lost,
    parse_choice,
    parse_date,
    parse_yes_no,
    split_list,
)
from jiceng.core.masking import mask_address, mask_id_number, mask_phone, mask_tags
from jiceng.core.scope import restrict
from jiceng.core.validators import id_check_digit, id_number_error, phone_normalise
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.models import Region

from . import selectors, services
from .choices import REGION_STAFF_ROLES, PoliticalStatus, ResidenceType, ResidentTag, WorkerKind
from .models import GridWorker, Resident

RESIDENT_COLUMNS = [
    Column("name", "姓名", required=True, width=12),
    Column("grid", "网格编码", required=True, text=True, width=14, hint="居民所在网格的编码（须在您的管辖范围内）"),
    Column("id_number", "身份证号", text=True, width=22,
           hint="18位，末位可为X；请保持单元格为文本格式，否则 Excel 会丢掉末几位"),
    Column("phone", "联系电话", text=True, width=16, hint="11位手机号，或带区号的固定电话（如 0599-2345678），可空",
           aliases=("手机号",)),
    Column("address", "住址", width=30, hint="最多200字，可空"),
    Column("residence_type", "人口类型", width=12, hint=f"{choice_labels(ResidenceType)}；空为户籍人口"),
    Column("political_status", "政治面貌", width=12, hint=f"{choice_labels(PoliticalStatus)}；空为群众"),
    Column("is_volunteer", "志愿者", width=8, hint="是 / 否，空为否"),
    Column("tags", "关爱标签", width=20, hint=f"多个用、或逗号分隔：{'、'.join(ResidentTag.values)}"),
]

WORKER_COLUMNS = [
    Column("name", "姓名", required=True, width=12),
    Column("kind", "类型", required=True, width=8, hint=choice_labels(WorkerKind)),
    Column("community", "所属社区编码", required=True, text=True, width=16, hint="网格员所属社区/村的编码"),
    Column("grids", "负责网格编码", text=True, width=18,
           hint="多个用、或逗号分隔，第一个为主责网格；专职、兼职网格员的网格须属于本社区"),
    Column("id_number", "身份证号", text=True, width=22, hint="18位，末位可为X；请保持单元格为文本格式"),
    Column("phone", "手机号", text=True, width=14, hint="11位大陆手机号，可空"),
    Column("occupation", "职业/身份", width=14, hint="特聘网格员填写，如快递员、外卖骑手"),
    Column("is_party_member", "党员", width=8, hint="是 / 否，空为否"),
    Column("joined_on", "入职日期", width=12, hint="如 2025-03-01，可空"),
]


def _require_region_staff(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active or actor.role not in REGION_STAFF_ROLES:
        raise PermissionDeniedError(_("只有区县、街道、社区工作人员可以导入人员信息。"))


def _visible_regions(actor, codes: Iterable[str]) -> dict[str, Region]:
    return {r.code: r for r in restrict(Region.objects.filter(code__in=set(codes)), actor)}


def _clean_id(errors: RowErrors, n: int, raw: Any, *, seen: dict[str, int], taken: set[str], taken_message: str) -> str:
    """A valid ID number not yet used in the file or the database (``taken_message`` says it is), or ''
    after an error."""
    if long_number_lost(raw):
        errors.add(n, "id_number", _("被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新填写。"))
        return ""
    value = cell_text(raw).upper().replace(" ", "")
    if not value:
        return ""
    error = id_number_error(value)
    if error:
        errors.add(n, "id_number", error)
        return ""
    if value in seen:
        errors.add(n, "id_number", _("与第 %(row)s 行的身份证号重复。") % {"row": seen[value]})
        return ""
    seen[value] = n
    if blind_index(value, purpose="id_number") in taken:
        errors.add(n, "id_number", taken_message)
        return ""
    return value


def _clean_phone(errors: RowErrors, n: int, raw: Any, *, landline: bool = False) -> str:
    """As the forms and services take it (``phone_normalise``): a resident's may be a fixed line."""
    value = phone_normalise(cell_text(raw))
    error = services.person_phone_error(value, landline=landline) if value else None
    if error:
        errors.add(n, "phone", error)
        return ""
    return value


def _clean_text(errors: RowErrors, n: int, key: str, raw: Any, *, max_length: int, required: bool = False) -> str:
    value = cell_text(raw)
    if required and not value:
        errors.add(n, key, _("必填。"))
    elif len(value) > max_length:
        errors.add(n, key, _("最多 %(max_length)s 个字。") % {"max_length": max_length})
    return value


def _clean_yes_no(errors: RowErrors, n: int, key: str, raw: Any) -> bool:
    value = parse_yes_no(raw)
    if value is None:
        errors.add(n, key, _("应为“是”或“否”，而不是“%(raw)s”。") % {"raw": cell_text(raw)})
        return False
    return value


def _residents_taken(actor, rows: list[SheetRow]) -> tuple[set[str], set[str]]:
    """The file's ID numbers (as keyed hashes) already registered: (within ``actor``'s scope, outside it)."""
    found = sorted(_taken_hashes(Resident, rows))
    mine: set[str] = set()
    for start in range(0, len(found), 500):
        mine.update(restrict(Resident.objects.filter(id_number_hash__in=found[start:start + 500]), actor)
                    .values_list("id_number_hash", flat=True))
    return mine, set(found) - mine


def _taken_hashes(model, rows: list[SheetRow]) -> set[str]:
    hashes = set()
    for row in rows:
        value = cell_text(row.values.get("id_number")).upper().replace(" ", "")
        if value and not long_number_lost(row.values.get("id_number")):
            hashes.add(blind_index(value, purpose="id_number"))
    found: set[str] = set()
    hashes_list = sorted(hashes)
    for start in range(0, len(hashes_list), 500):
        found.update(model.objects.filter(id_number_hash__in=hashes_list[start:start + 500])
                     .values_list("id_number_hash", flat=True))
    return found


def _create_all(create, planned: list[tuple[int, dict]], errors: RowErrors) -> int:
    """Each row through the service, all in one transaction; a rule missed above still rejects the file."""
    with transaction.atomic():
        for n, values in planned:
            try:
                create(**values)
            except ApplicationError as exc:
                errors.add(n, exc.field or "", exc.message)
                raise ImportRejected(errors.items) from exc
    return len(planned)


# --- residents --------------------------------------------------------------------------------


def _parse_tags(raw: Any) -> tuple[list[str], list[str]]:
    tags, unknown = [], []
    for part in split_list(raw):
        value = parse_choice(part, ResidentTag)
        if value is None:
            unknown.append(part)
        elif value not in tags:
            tags.append(value)
    return tags, unknown


def resident_import(*, actor, rows: list[SheetRow]) -> int:
    _require_region_staff(actor)
    errors = RowErrors({c.key: c for c in RESIDENT_COLUMNS})
    grids = _visible_regions(actor, (cell_text(r.values.get("grid")) for r in rows))
    taken, elsewhere = _residents_taken(actor, rows)
    seen: dict[str, int] = {}
    planned: list[tuple[int, dict]] = []
    for row in rows:
        n, v = row.number, row.values
        before = len(errors.items)
        name = _clean_text(errors, n, "name", v.get("name"), max_length=50, required=True)
        code = cell_text(v.get("grid"))
        grid = grids.get(code)
        if not code:
            errors.add(n, "grid", _("必填。"))
        elif grid is None:
            errors.add(n, "grid", _("网格编码 %(code)s 不存在，或不在您的管辖范围内。") % {"code": code})
        elif grid.level not in GRID_LEVELS:
            errors.add(n, "grid", _("%(code)s（%(name)s）是%(label)s，不是网格。") % {
                "code": code, "name": grid.name, "label": RegionLevel(grid.level).label})
        id_number = _clean_id(errors, n, v.get("id_number"), seen=seen, taken=taken, taken_message=_("该身份证号已登记为其他居民。"))
        if id_number and blind_index(id_number, purpose="id_number") in elsewhere:
            # as the form answers it, from the same hourly allowance (spent: the whole file is refused
            # with the allowance's message, naming no row)
            errors.add(n, "id_number", services.id_elsewhere_refusal(actor).message)
            id_number = ""
        phone = _clean_phone(errors, n, v.get("phone"), landline=True)
        address = _clean_text(errors, n, "address", v.get("address"), max_length=200)
        residence_type = ResidenceType.REGISTERED.value
        if cell_text(v.get("residence_type")):
            residence_type = parse_choice(v.get("residence_type"), ResidenceType)
            if residence_type is None:
                errors.add(n, "residence_type", _("应为 %(choices)s。") % {
                    "choices": choice_labels(ResidenceType)})
        political_status = PoliticalStatus.MASSES.value
        if cell_text(v.get("political_status")):
            political_status = parse_choice(v.get("political_status"), PoliticalStatus)
            if political_status is None:
                errors.add(n, "political_status", _("应为 %(choices)s。") % {
                    "choices": choice_labels(PoliticalStatus)})
        is_volunteer = _clean_yes_no(errors, n, "is_volunteer", v.get("is_volunteer"))
        tags, unknown = _parse_tags(v.get("tags"))
        if unknown:
            errors.add(n, "tags", _("未知标签：%(tags)s（可用：%(values)s）。") % {
                "tags": '、'.join(unknown), "values": '、'.join(ResidentTag.values)})
        if len(errors.items) == before:
            planned.append((n, {"actor": actor, "name": name, "grid": grid, "id_number": id_number, "phone": phone,
                                "address": address, "residence_type": residence_type,
                                "political_status": political_status, "is_volunteer": is_volunteer, "tags": tags}))
    errors.raise_if_any()
    return _create_all(services.resident_create, planned, errors)


def _filter_form(form_class, actor, params):
    """The list page's own filter form: the export filters exactly like the list."""
    data = params.copy() if hasattr(params, "copy") else dict(params)
    if "volunteer" not in data and "is_volunteer" in data:  # the API's name for the same filter
        data["volunteer"] = {"true": "1", "false": "0"}.get(str(data["is_volunteer"]).lower(), data["is_volunteer"])
    form = form_class(data, actor=actor)
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        error = NotFoundError if form.has_error(field, code="not_found") else ApplicationError
        raise error(_("筛选条件无效：%(field)s：%(message)s") % {"field": field, "message": messages[0]}, field=field)
    filters = form.filters()
    described = describe_filters({k: (v.code if isinstance(v, Region) else v) for k, v in filters.items()})
    return filters, described


RESIDENT_EXPORT_COLUMNS = [
    Column("name", "姓名", width=12), Column("gender", "性别", width=6), Column("grid", "网格编码", text=True, width=14),
    Column("grid_name", "网格名称", width=16), Column("id_number", "身份证号（脱敏）", text=True, width=22),
    Column("phone", "联系电话（脱敏）", text=True, width=14), Column("address", "住址（脱敏）", width=20),
    Column("residence_type", "人口类型", width=12), Column("political_status", "政治面貌", width=12),
    Column("is_volunteer", "志愿者", width=8), Column("tags", "关爱标签（脱敏）", width=16),
]


def _may_read_people(actor) -> None:
    """The people lists' own rule: a role that does not see residents and grid workers (the admin
    roles, department staff, residents) is refused their export too, not given an empty file."""
    if not actor.sees_people:
        raise PermissionDeniedError(_("您的角色不查看居民和网格员信息。"))


def resident_export(*, actor, params):
    from .forms import ResidentFilterForm

    _may_read_people(actor)

    filters, described = _filter_form(ResidentFilterForm, actor, params)
    qs = selectors.resident_filter(selectors.resident_visible(actor), **filters)

    def rows():
        for r in qs.iterator(chunk_size=2000):
            yield [r.name, r.get_gender_display(), r.grid.code, r.grid.name, mask_id_number(r.id_number), mask_phone(r.phone),
                   mask_address(r.address), r.get_residence_type_display(), r.get_political_status_display(),
                   "是" if r.is_volunteer else "否", mask_tags(r.tags)]

    return RESIDENT_EXPORT_COLUMNS, rows(), described


def _example_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


def _resident_example(actor) -> list:
    grid = restrict(Region.objects.filter(level__in=GRID_LEVELS), actor).order_by("path").first()
    return ["张三", grid.code if grid else "A1", _example_id("35072419800101001"), "13800001234", "幸福路1号2单元301",
            "户籍人口", "群众", "否", "独居老人、低保"]


# --- grid workers -----------------------------------------------------------------------------


def worker_import(*, actor, rows: list[SheetRow]) -> int:
    _require_region_staff(actor)
    errors = RowErrors({c.key: c for c in WORKER_COLUMNS})
    codes = [cell_text(r.values.get("community")) for r in rows]
    for r in rows:
        codes.extend(split_list(r.values.get("grids")))
    regions = _visible_regions(actor, codes)
    taken = _taken_hashes(GridWorker, rows)
    seen: dict[str, int] = {}
    planned: list[tuple[int, dict]] = []
    for row in rows:
        n, v = row.number, row.values
        before = len(errors.items)
        name = _clean_text(errors, n, "name", v.get("name"), max_length=50, required=True)
        kind = parse_choice(v.get("kind"), WorkerKind)
        if kind is None:
            errors.add(n, "kind", _("应为 %(choices)s。") % {"choices": choice_labels(WorkerKind)})
        code = cell_text(v.get("community"))
        community = regions.get(code)
        if not code:
            errors.add(n, "community", _("必填。"))
        elif community is None:
            errors.add(n, "community", _("编码 %(code)s 不存在，或不在您的管辖范围内。") % {"code": code})
        elif community.level != RegionLevel.COMMUNITY:
            errors.add(n, "community", _("%(code)s（%(name)s）不是社区/村。") % {
                "code": code, "name": community.name})
            community = None
        grids: list[Region] = []
        grid_codes = split_list(v.get("grids"))
        if len(set(grid_codes)) != len(grid_codes):
            errors.add(n, "grids", _("网格编码重复。"))
        for grid_code in dict.fromkeys(grid_codes):
            grid = regions.get(grid_code)
            if grid is None:
                errors.add(n, "grids", _("网格编码 %(code)s 不存在，或不在您的管辖范围内。") % {"code": grid_code})
            elif grid.level not in GRID_LEVELS:
                errors.add(n, "grids", _("%(code)s（%(name)s）不是网格。") % {"code": grid_code, "name": grid.name})
            elif community is not None and kind != WorkerKind.SPECIAL and not grid.path.startswith(community.path):
                errors.add(n, "grids", _("网格 %(code)s（%(name)s）不属于%(community)s。") % {
                    "code": grid_code, "name": grid.name, "community": community.name})
            else:
                grids.append(grid)
        id_number = _clean_id(errors, n, v.get("id_number"), seen=seen, taken=taken, taken_message=_("该身份证号已登记为网格员。"))
        phone = _clean_phone(errors, n, v.get("phone"))
        occupation = _clean_text(errors, n, "occupation", v.get("occupation"), max_length=50)
        is_party_member = _clean_yes_no(errors, n, "is_party_member", v.get("is_party_member"))
        joined_on = None
        try:
            joined_on = parse_date(v.get("joined_on"))
        except ValueError:
            errors.add(n, "joined_on", _("无法识别日期“%(value)s”，请写成 2025-03-01。") % {
                "value": cell_text(v.get('joined_on'))})
        if len(errors.items) == before:
            planned.append((n, {"actor": actor, "name": name, "kind": kind, "community": community, "grids": grids,
                                "id_number": id_number, "phone": phone, "occupation": occupation,
                                "is_party_member": is_party_member, "joined_on": joined_on}))
    errors.raise_if_any()
    return _create_all(services.grid_worker_create, planned, errors)


WORKER_EXPORT_COLUMNS = [
    Column("name", "姓名", width=12), Column("kind", "类型", width=8),
    Column("community", "所属社区编码", text=True, width=16), Column("community_name", "所属社区", width=14),
    Column("grids", "负责网格编码", text=True, width=18), Column("grid_names", "负责网格", width=22),
    Column("id_number", "身份证号（脱敏）", text=True, width=22),
    Column("phone", "手机号（脱敏）", text=True, width=14), Column("occupation", "职业/身份", width=14),
    Column("is_party_member", "党员", width=8), Column("active", "在岗", width=8),
    Column("joined_on", "入职日期", width=12),
]


def worker_export(*, actor, params):
    from .forms import WorkerFilterForm

    _may_read_people(actor)

    filters, described = _filter_form(WorkerFilterForm, actor, params)
    qs = selectors.worker_filter(selectors.worker_visible(actor), **filters).prefetch_related("assignments__grid")

    def rows():
        for w in qs.iterator(chunk_size=2000):
            assignments = sorted(w.assignments.all(), key=lambda a: (not a.is_primary, a.grid.code))
            yield [w.name, w.get_kind_display(), w.community.code, w.community.name,
                   "、".join(a.grid.code for a in assignments), "、".join(a.grid.name for a in assignments),
                   mask_id_number(w.id_number), mask_phone(w.phone),
                   w.occupation, "是" if w.is_party_member else "否", "是" if w.active else "否",
                   w.joined_on.isoformat() if w.joined_on else ""]

    return WORKER_EXPORT_COLUMNS, rows(), described


def _worker_example(actor) -> list:
    community = restrict(Region.objects.filter(level=RegionLevel.COMMUNITY), actor).order_by("path").first()
    grid = (restrict(Region.objects.filter(level__in=GRID_LEVELS, path__startswith=community.path), actor)
            .order_by("path").first() if community else None)
    return ["李四", "专职", community.code if community else "350724001001", grid.code if grid else "A1",
            _example_id("35072419850615123"), "13900005678", "", "是", "2025-03-01"]


RESIDENTS = Transfer(kind="residents", label="居民", columns=RESIDENT_COLUMNS, example=_resident_example,
                     export=resident_export, importer=resident_import, guard=_require_region_staff)
WORKERS = Transfer(kind="workers", label="网格员", columns=WORKER_COLUMNS, example=_worker_example,
                   export=worker_export, importer=worker_import, guard=_require_region_staff)
TRANSFERS = {"workers": WORKERS, "residents": RESIDENTS}
