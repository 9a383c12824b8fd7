"""Excel import and export of the event category catalogue (事项分类 and their standard procedure).

The export holds the whole catalogue in tree order with the template's columns, so an exported file
imports back unchanged. Import adds the categories whose code is new and updates the procedure of
those that exist (a category never moves: its parent in the file must be its parent today). Every
row is checked first (code, parent in the database or on an earlier row, handler level and
department kind, priority, clock, positive deadlines, ranges, 是/否 cells); any bad row rejects the
file. Then each new or changed row goes through ``category_create`` / ``category_update`` in one
transaction, so each is audited like an edit in the admin. An empty optional cell takes the model's
default for a new category and leaves an existing one as it is (责任部门类别 excepted: it is only
meaningful, and then required, for 职能部门).

Who may: the catalogue's managers (system admin, county staff), as for ``category_update``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.excel import (
    Column,
    ImportRejected,
    RowErrors,
    SheetRow,
    Transfer,
    cell_text,
    choice_labels,
    parse_choice,
    parse_yes_no,
)
from jiceng.people.choices import DepartmentKind

from . import services
from .choices import Clock, HandlerLevel, Priority, UnsatisfiedAction
from .models import EventCategory, category_code_validator
from .services.catalogue import can_manage_catalogue

KIND = "event_categories"
HOURS_MAX = Decimal("99999.99")  # the columns' max_digits=7, decimal_places=2
NAME_MAX = 50
DESCRIPTION_MAX = 2000
PATH_MAX = 200
_EMPTY_KEEPS = "空白时：新分类取默认值，已有分类保持不变"


def _hours_hint(what: str, default: int) -> str:
    return f"{what}，单位为小时（按“计时方式”计工作时或自然时），大于 0，最多两位小数；{_EMPTY_KEEPS}（默认 {default}）"


CATEGORY_COLUMNS = [
    Column("code", "编码", required=True, text=True, width=14,
           hint="字母、数字、_、-，最多32位。已有编码的行更新该分类，新编码的行新增分类"),
    Column("name", "名称", required=True, width=18, hint=f"最多 {NAME_MAX} 字"),
    Column("parent", "上级编码", text=True, width=12,
           hint="顶级分类留空；上级须已在系统中，或在本文件中更靠前的行。已有分类不能通过导入改变上级"),
    Column("sort", "排序", width=8, hint=f"0～32767 的整数，同级按它排列；{_EMPTY_KEEPS}（默认 0）"),
    Column("active", "启用", width=8, hint=f"是 / 否；{_EMPTY_KEEPS}（默认 是）"),
    Column("handler_level", "默认处置层级", required=True, width=14, hint=choice_labels(HandlerLevel)),
    Column("department_kind", "责任部门类别", width=14,
           hint=f"{choice_labels(DepartmentKind)}；默认处置层级为职能部门时必填，其他层级可空"),
    Column("priority", "优先级", width=8, hint=f"{choice_labels(Priority)}；{_EMPTY_KEEPS}（默认 一般）"),
    Column("clock", "计时方式", width=10,
           hint=f"{choice_labels(Clock)}（工作时只计工作日的上班时间）；{_EMPTY_KEEPS}（默认 工作时）"),
    Column("accept_hours", "受理时限（小时）", width=12, hint=_hours_hint("受理时限", 2)),
    Column("sign_hours", "签收时限（小时）", width=12, hint=_hours_hint("签收时限", 2)),
    Column("handle_hours", "处置时限（小时）", width=12, hint=_hours_hint("处置时限", 24)),
    Column("verify_hours", "核查时限（小时）", width=12, hint=_hours_hint("核查时限", 8)),
    Column("whistle_hours", "报到时限（小时）", width=12, hint=_hours_hint("吹哨后部门报到时限", 2)),
    Column("warn_percent", "预警点（%）", width=10,
           hint=f"时限用到这个百分比时临期预警，1～99 的整数；{_EMPTY_KEEPS}（默认 75）"),
    Column("photo_required", "结案须附照片", width=12, hint=f"是 / 否；{_EMPTY_KEEPS}（默认 是）"),
    Column("max_returns", "退单次数上限", width=12,
           hint=f"达到后须指挥中心审定，1～32767 的整数；{_EMPTY_KEEPS}（默认 2）"),
    Column("unsatisfied_action", "不满意时", width=10,
           hint=f"{choice_labels(UnsatisfiedAction)}；{_EMPTY_KEEPS}（默认 重办）"),
    Column("duplicate_radius_m", "疑似重复半径（米）", width=14,
           hint=f"0～2147483647 的整数；{_EMPTY_KEEPS}（默认 100）"),
    Column("duplicate_days", "疑似重复天数", width=12, hint=f"0～32767 的整数；{_EMPTY_KEEPS}（默认 3）"),
    Column("description", "处置标准", width=40, hint=f"最多 {DESCRIPTION_MAX} 字；{_EMPTY_KEEPS}"),
]

_HOURS = ("accept_hours", "sign_hours", "handle_hours", "verify_hours", "whistle_hours")
_INTEGERS = {"sort": (0, 32_767), "warn_percent": (1, 99), "max_returns": (1, 32_767),
             "duplicate_radius_m": (0, 2_147_483_647), "duplicate_days": (0, 32_767)}
_CHOICES = {"priority": Priority, "clock": Clock, "unsatisfied_action": UnsatisfiedAction}
_YES_NO = ("active", "photo_required")


@dataclass
class _Planned:
    """One good row: the fields it sets, and the category it updates (None: a new one)."""

    row: int
    code: str
    parent_code: str
    fields: dict[str, Any] = field(default_factory=dict)
    existing: EventCategory | None = None
    path_length: int = 0


def _parse_int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError
    text = cell_text(value).replace(",", "")
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise ValueError
    number = int(text)
    if not low <= number <= high:
        raise ValueError
    return number


def _parse_hours(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    try:
        hours = Decimal(cell_text(value).replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError from exc
    if not hours.is_finite() or hours <= 0 or hours > HOURS_MAX or hours != hours.quantize(Decimal("0.01")):
        raise ValueError
    return hours.quantize(Decimal("0.01"))


def _parse_row(n: int, v: dict[str, Any], *, errors: RowErrors) -> dict | None:
    """The procedure fields a row sets (empty optional cells left out), or None when a cell is bad."""
    bad = False

    def fail(key: str, message: str) -> None:
        nonlocal bad
        bad = True
        errors.add(n, key, message)

    out: dict[str, Any] = {}
    name = cell_text(v.get("name"))
    if not name:
        fail("name", _("必填。"))
    elif len(name) > NAME_MAX:
        fail("name", _("最多 %(max_length)s 个字。") % {"max_length": NAME_MAX})
    else:
        out["name"] = name
    level = parse_choice(v.get("handler_level"), HandlerLevel) if cell_text(v.get("handler_level")) else None
    if level is None:
        shown = cell_text(v.get("handler_level"))
        if shown:
            fail("handler_level", _("无法识别“%(value)s”，应为 %(choices)s。") % {
                "value": shown, "choices": choice_labels(HandlerLevel)})
        else:
            fail("handler_level", _("必填。"))
    else:
        out["handler_level"] = level
    department = ""
    if cell_text(v.get("department_kind")):
        department = parse_choice(v.get("department_kind"), DepartmentKind) or ""
        if not department:
            fail("department_kind", _("无法识别“%(value)s”，应为 %(choices)s。") % {
                "value": cell_text(v.get("department_kind")), "choices": choice_labels(DepartmentKind)})
    elif level == HandlerLevel.DEPARTMENT:
        fail("department_kind", _("默认处置层级为职能部门时必填。"))
    out["department_kind"] = department
    for key, choices in _CHOICES.items():
        if cell_text(v.get(key)):
            value = parse_choice(v.get(key), choices)
            if value is None:
                fail(key, _("无法识别“%(value)s”，应为 %(choices)s。") % {
                    "value": cell_text(v.get(key)), "choices": choice_labels(choices)})
            else:
                out[key] = value
    for key in _HOURS:
        if cell_text(v.get(key)):
            try:
                out[key] = _parse_hours(v.get(key))
            except ValueError:
                fail(key, _("应为大于 0、不超过 %(max)s 的小时数（最多两位小数）。") % {"max": HOURS_MAX})
    for key, (low, high) in _INTEGERS.items():
        if cell_text(v.get(key)):
            try:
                out[key] = _parse_int(v.get(key), low, high)
            except ValueError:
                fail(key, _("应为 %(low)s～%(high)s 的整数。") % {"low": low, "high": high})
    for key in _YES_NO:
        if cell_text(v.get(key)):
            yes = parse_yes_no(v.get(key))
            if yes is None:
                fail(key, _("应为“是”或“否”，而不是“%(raw)s”。") % {"raw": cell_text(v.get(key))})
            else:
                out[key] = yes
    description = cell_text(v.get("description"))
    if len(description) > DESCRIPTION_MAX:
        fail("description", _("最多 %(max_length)s 个字。") % {"max_length": DESCRIPTION_MAX})
    elif description:
        out["description"] = description
    return None if bad else out


def _require_importer(actor) -> None:
    if not can_manage_catalogue(actor):
        raise PermissionDeniedError(_("只有系统管理员或区县工作人员可以导入事项分类。"))


def category_import(*, actor, rows: list[SheetRow]) -> int:
    """Add or update categories; all rows or none. Returns how many categories were added or
    changed (a row identical to the category it names changes nothing and is not counted)."""
    _require_importer(actor)
    errors = RowErrors({c.key: c for c in CATEGORY_COLUMNS})
    codes = [cell_text(r.values.get("code")) for r in rows]
    parent_codes = [cell_text(r.values.get("parent")) for r in rows]
    existing = {c.code: c for c in EventCategory.objects.filter(code__in=set(codes) | set(parent_codes))
                .select_related("parent")}
    first_row: dict[str, int] = {}
    in_file: dict[str, _Planned] = {}
    planned: list[_Planned] = []
    for i, (sheet_row, code, parent_code) in enumerate(zip(rows, codes, parent_codes, strict=True)):
        n, bad = sheet_row.number, False
        if not code:
            errors.add(n, "code", _("必填。"))
            bad = True
        elif not category_code_validator.regex.match(code):
            errors.add(n, "code", _("只能由字母、数字、下划线和连字符组成，最多32位。"))
            bad = True
        elif code in first_row:
            errors.add(n, "code", _("与第 %(row)s 行的编码重复。") % {"row": first_row[code]})
            bad = True
        if code and code not in first_row:
            first_row[code] = n
        current = existing.get(code) if not bad else None
        parent_path = 1  # the leading "/"
        if current is not None:
            now = current.parent.code if current.parent_id else ""
            if parent_code != now:
                errors.add(n, "parent", _("已有分类不能通过导入改变上级（现为“%(parent)s”）。") % {
                    "parent": now or _("无，顶级分类")})
                bad = True
        elif not parent_code:
            pass
        elif parent_code == code:
            errors.add(n, "parent", _("上级不能是本分类。"))
            bad = True
        elif parent_code in in_file:
            parent_path = in_file[parent_code].path_length
        elif parent_code in existing:
            parent_path = len(existing[parent_code].path)
        elif parent_code in first_row:
            errors.add(n, "parent", _("上级 %(code)s（第 %(row)s 行）有错误，请先改正该行。") % {
                "code": parent_code, "row": first_row[parent_code]})
            bad = True
        elif parent_code in codes[i + 1:]:
            errors.add(n, "parent", _("上级 %(code)s 在本文件更靠后的行，请把上级放在前面。") % {"code": parent_code})
            bad = True
        else:
            errors.add(n, "parent", _("上级编码 %(code)s 不存在。") % {"code": parent_code})
            bad = True
        path_length = len(current.path) if current is not None else parent_path + len(code) + 1
        if current is None and not bad and path_length > PATH_MAX:
            errors.add(n, "parent", _("分类层级过深或编码过长。"))
            bad = True
        fields = _parse_row(n, sheet_row.values, errors=errors)
        if bad or fields is None:
            continue
        item = _Planned(row=n, code=code, parent_code=parent_code, fields=fields, existing=current,
                        path_length=path_length)
        planned.append(item)
        in_file[code] = item
    errors.raise_if_any()
    return _save_all(actor=actor, planned=planned, existing=existing, errors=errors)


def _save_all(*, actor, planned: list[_Planned], existing: dict[str, EventCategory], errors: RowErrors) -> int:
    """Through the services, in one transaction; a rule the checks above missed still rejects the file."""
    created: dict[str, EventCategory] = {}
    count = 0
    with transaction.atomic():
        for item in planned:
            try:
                if item.existing is None:
                    parent = created.get(item.parent_code) or existing.get(item.parent_code)
                    created[item.code] = services.category_create(actor=actor, code=item.code, parent=parent,
                                                                  **item.fields)
                    count += 1
                    continue
                changes = {k: v for k, v in item.fields.items() if getattr(item.existing, k) != v}
                if changes:
                    services.category_update(actor=actor, category=item.existing, **changes)
                    count += 1
            except ApplicationError as exc:
                errors.add(item.row, exc.field if exc.field in errors.columns else "", exc.message)
                raise ImportRejected(errors.items) from exc
    return count


# --- export -----------------------------------------------------------------------------------


def _label(choices, value) -> str:
    return str(choices(value).label) if value not in (None, "") else ""


def _category_rows(qs):
    for c in qs.select_related("parent").iterator(chunk_size=500):
        yield [c.code, c.name, c.parent.code if c.parent_id else "", c.sort, "是" if c.active else "否",
               _label(HandlerLevel, c.handler_level), _label(DepartmentKind, c.department_kind),
               _label(Priority, c.priority), _label(Clock, c.clock), c.accept_hours, c.sign_hours, c.handle_hours,
               c.verify_hours, c.whistle_hours, c.warn_percent, "是" if c.photo_required else "否", c.max_returns,
               _label(UnsatisfiedAction, c.unsatisfied_action), c.duplicate_radius_m, c.duplicate_days,
               c.description]


def category_export(*, actor, params):
    """The whole catalogue in tree order (parents before children), the template's columns."""
    if not can_manage_catalogue(actor):
        raise PermissionDeniedError(_("只有系统管理员或区县工作人员可以导出事项分类。"))
    return CATEGORY_COLUMNS, _category_rows(EventCategory.objects.order_by("path")), ""


def _example(actor) -> list:
    return ["SRHJ-JGQS", "井盖缺失", "SRHJ", 7, "是", str(HandlerLevel.DEPARTMENT.label),
            str(DepartmentKind.HOUSING.label), str(Priority.HIGH.label), str(Clock.WORKING.label), 2, 2, 8, 8, 2, 75,
            "是", 2, str(UnsatisfiedAction.REOPEN.label), 100, 3, "井盖缺失、破损：设置警示，住建部门限时补装。"]


CATEGORIES = Transfer(kind=KIND, label="事项分类", columns=CATEGORY_COLUMNS, example=_example,
                      export=category_export, importer=category_import, import_verb="新增或更新",
                      guard=_require_importer)
TRANSFERS = {KIND: CATEGORIES}
