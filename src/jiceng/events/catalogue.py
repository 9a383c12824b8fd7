"""The default catalogue: categories with their standard procedure (常态事件标准化处置程序),
response templates (常用语) and the official holidays with their make-up workdays.

``load_event_categories()`` is idempotent: it adds what is missing and leaves what a county has
already tuned untouched (``update=True`` resets the procedures to these defaults). Also available
as ``jiceng load_event_categories``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from jiceng.core.audit import audit_record
from jiceng.people.choices import DepartmentKind as D

from .choices import Clock, HandlerLevel, Priority, UnsatisfiedAction
from .models import CalendarDay, EventCategory, ResponseTemplate

C, S, X, DEPT = HandlerLevel.COMMUNITY, HandlerLevel.STREET, HandlerLevel.COUNTY, HandlerLevel.DEPARTMENT


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    level: str = C
    dept: str = ""
    handle: float = 24  # hours (working hours unless calendar)
    priority: int = Priority.NORMAL
    clock: str = Clock.WORKING
    accept: float = 2
    sign: float = 2
    verify: float = 8
    whistle: float = 2
    photo: bool = True
    returns: int = 2
    unsatisfied: str = UnsatisfiedAction.REOPEN
    description: str = ""


# Top-level groups carry a procedure too (a case may be filed on the group when the sub-item is unclear).
CATALOGUE: list[tuple[Spec, list[Spec]]] = [
    (Spec("SRHJ", "市容环境", C, handle=24, description="影响市容市貌和环境卫生的问题，属地社区牵头，城管等部门配合。"), [
        Spec("SRHJ-ZDJY", "占道经营", DEPT, D.URBAN, handle=8, description="流动摊贩、店外经营占用道路，城管部门劝导或依法处理。"),
        Spec("SRHJ-LJDF", "垃圾乱堆乱放", C, handle=16),
        Spec("SRHJ-XGG", "乱贴乱画小广告", C, handle=16),
        Spec("SRHJ-SZSS", "市政设施损坏", DEPT, D.HOUSING, handle=40, description="道路、井盖、路灯、护栏等损坏。"),
        Spec("SRHJ-LHSH", "绿化损毁", DEPT, D.URBAN, handle=40),
        Spec("SRHJ-ZSYY", "噪声油烟扰民", DEPT, D.ECOLOGY, handle=24),
    ]),
    (Spec("SHZA", "社会治安", DEPT, D.POLICE, handle=8, priority=Priority.HIGH), [
        Spec("SHZA-ZAYH", "治安隐患", DEPT, D.POLICE, handle=8, priority=Priority.HIGH),
        Spec("SHZA-KYQK", "可疑人员与线索", DEPT, D.POLICE, handle=4, priority=Priority.HIGH, photo=False),
        Spec("SHZA-FZXC", "反诈与法治宣传需求", C, handle=40, photo=False),
    ]),
    (Spec("MDJF", "矛盾纠纷", C, handle=40, photo=False, unsatisfied=UnsatisfiedAction.RECORD,
          description="网格+调解：先由网格员、社区调解，调解不成的上报街道。"), [
        Spec("MDJF-LLJF", "邻里纠纷", C, handle=40, photo=False, unsatisfied=UnsatisfiedAction.RECORD),
        Spec("MDJF-JTJF", "婚姻家庭纠纷", C, handle=40, photo=False, unsatisfied=UnsatisfiedAction.RECORD),
        Spec("MDJF-WYJF", "物业纠纷", S, handle=40, photo=False),
        Spec("MDJF-LZJF", "劳资纠纷", DEPT, D.HR, handle=40, photo=False),
        Spec("MDJF-TDJF", "土地山林纠纷", S, handle=80, photo=False, unsatisfied=UnsatisfiedAction.RECORD),
    ]),
    (Spec("AQYH", "安全隐患", S, handle=16, priority=Priority.HIGH), [
        Spec("AQYH-XFTD", "消防通道堵塞", S, handle=8, priority=Priority.HIGH),
        Spec("AQYH-DDCCD", "电动车违规停放充电", C, handle=8, priority=Priority.HIGH),
        Spec("AQYH-RQAQ", "燃气安全隐患", DEPT, D.EMERGENCY, handle=4, priority=Priority.URGENT, clock=Clock.CALENDAR,
             accept=0.5, sign=0.5, verify=8),
        Spec("AQYH-WFWJ", "危房与违法建设", DEPT, D.HOUSING, handle=80),
        Spec("AQYH-SPAQ", "食品安全", DEPT, D.MARKET, handle=16, priority=Priority.HIGH),
        Spec("AQYH-ZRZH", "地质灾害与防汛隐患", DEPT, D.EMERGENCY, handle=8, priority=Priority.URGENT,
             clock=Clock.CALENDAR, accept=0.5, sign=0.5, verify=12),
    ]),
    (Spec("MSFW", "民生服务", C, handle=40, photo=False, description="“五类服务”：便民、健康、关爱、平安、就业。"), [
        Spec("MSFW-WLFW", "为老服务", C, handle=24, photo=False),
        Spec("MSFW-SHJZ", "社会救助与低保", DEPT, D.CIVIL, handle=80, photo=False),
        Spec("MSFW-JYFW", "就业服务", DEPT, D.HR, handle=40, photo=False),
        Spec("MSFW-YLWS", "医疗卫生服务", DEPT, D.HEALTH, handle=24, photo=False),
        Spec("MSFW-BMDB", "便民代办", C, handle=24, photo=False),
    ]),
    (Spec("JNHJ", "急难呼救", C, handle=2, priority=Priority.URGENT, clock=Clock.CALENDAR, accept=0.25, sign=0.25,
          verify=4, whistle=0.5, photo=False, returns=1,
          description="独居老人、残疾人等急难求助：立即响应，全天候计时。"), [
        Spec("JNHJ-DJQZ", "独居老人求助", C, handle=2, priority=Priority.URGENT, clock=Clock.CALENDAR, accept=0.25,
             sign=0.25, verify=4, whistle=0.5, photo=False, returns=1),
        Spec("JNHJ-YWSG", "意外伤害与突发事件", DEPT, D.EMERGENCY, handle=2, priority=Priority.URGENT,
             clock=Clock.CALENDAR, accept=0.25, sign=0.25, verify=4, whistle=0.5, photo=False, returns=1),
    ]),
    (Spec("WYGL", "物业管理", C, handle=40, description="红色物业：社区党组织牵头，物业服务企业落实。"), [
        Spec("WYGL-WYFW", "物业服务质量", C, handle=40),
        Spec("WYGL-GGSS", "公共设施维修", DEPT, D.HOUSING, handle=80),
        Spec("WYGL-ECGS", "二次供水与电梯", DEPT, D.HOUSING, handle=24, priority=Priority.HIGH),
    ]),
    (Spec("QYSQ", "企业诉求", DEPT, D.MARKET, handle=40, photo=False, description="万人助万企：企业诉求限时办结。"), [
        Spec("QYSQ-ZCZX", "政策咨询", DEPT, D.MARKET, handle=24, photo=False),
        Spec("QYSQ-YSHJ", "营商环境问题", DEPT, D.MARKET, handle=40, photo=False),
        Spec("QYSQ-YGZP", "用工招聘", DEPT, D.HR, handle=40, photo=False),
    ]),
]

# (action, title, text); category-specific ones below.
TEMPLATES: list[tuple[str, str, str]] = [
    ("register", "受理立案", "您反映的问题已受理立案，我们将按规定时限安排处置，请保持电话畅通。"),
    ("reject", "不属于受理范围", "经核实，您反映的事项不属于网格事件受理范围，建议您通过相关部门的法定渠道反映。"),
    ("reject", "信息不全", "您反映的问题缺少具体位置或情况说明，暂不能立案，请补充后重新上报。"),
    ("dispatch", "按程序派遣", "请按常态事件标准化处置程序及时签收并处置，处置后上传现场照片。"),
    ("return", "不属于本单位职责", "经核实，该事项不属于本单位职责范围，请指挥中心重新派遣。"),
    ("return", "位置不在辖区", "事件位置不在本单位辖区，请核实后改派。"),
    ("sign", "已签收", "已签收，马上安排人员到现场处置。"),
    ("submit", "已处置完毕", "已到现场处置完毕，问题已解决，附处置后照片。"),
    ("verify", "核查通过", "经现场核查，问题已解决，同意结案。"),
    ("verify_fail", "核查未通过", "经现场核查，问题未彻底解决，请继续处置。"),
    ("suspend", "等待条件", "因需等待相关条件（天气、材料、当事人等），暂时挂起，条件具备后恢复处置。"),
    ("void", "重复上报", "该问题已有他人上报并在处置中，本件作废。"),
    ("supervise", "督办", "该事件已临近或超过处置时限，请加快处置并于限期内反馈。"),
    ("whistle", "吹哨", "该问题涉及部门职责，请相关部门在规定时限内到场报到，协同处置。"),
]
CATEGORY_TEMPLATES: list[tuple[str, str, str, str]] = [
    ("SRHJ-ZDJY", "submit", "劝离占道", "已对占道经营摊贩进行劝导，摊贩已自行撤离，现场恢复通行。"),
    ("MDJF-LLJF", "submit", "调解成功", "经网格员和社区调解员上门调解，双方达成一致，矛盾已化解。"),
    ("AQYH-DDCCD", "submit", "已清理", "已清理楼道内违规停放充电的电动车，并对住户开展安全提醒。"),
    ("JNHJ-DJQZ", "submit", "已上门", "网格员已上门查看，老人情况稳定，已联系家属并做好后续关爱。"),
]

# Official holidays (国务院办公厅关于部分节假日安排的通知): days off on weekdays and make-up workdays.
HOLIDAYS: dict[int, list[tuple[str, str, str]]] = {
    2025: [
        ("2025-01-01", "2025-01-01", "元旦"), ("2025-01-28", "2025-02-04", "春节"),
        ("2025-04-04", "2025-04-06", "清明节"), ("2025-05-01", "2025-05-05", "劳动节"),
        ("2025-05-31", "2025-06-02", "端午节"), ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    ],
    2026: [
        ("2026-01-01", "2026-01-03", "元旦"), ("2026-02-15", "2026-02-23", "春节"),
        ("2026-04-04", "2026-04-06", "清明节"), ("2026-05-01", "2026-05-05", "劳动节"),
        ("2026-06-19", "2026-06-21", "端午节"), ("2026-09-25", "2026-09-27", "中秋节"),
        ("2026-10-01", "2026-10-07", "国庆节"),
    ],
}
MAKEUP_WORKDAYS: dict[int, list[tuple[str, str]]] = {
    2025: [("2025-01-26", "春节调休"), ("2025-02-08", "春节调休"), ("2025-04-27", "劳动节调休"),
           ("2025-09-28", "国庆节调休"), ("2025-10-11", "国庆节调休")],
    2026: [("2026-01-04", "元旦调休"), ("2026-02-14", "春节调休"), ("2026-02-28", "春节调休"),
           ("2026-05-09", "劳动节调休"), ("2026-09-20", "国庆节调休"), ("2026-10-10", "国庆节调休")],
}


def _fields(spec: Spec) -> dict:
    return {
        "name": spec.name, "handler_level": spec.level, "department_kind": spec.dept, "priority": spec.priority,
        "clock": spec.clock, "accept_hours": Decimal(str(spec.accept)), "sign_hours": Decimal(str(spec.sign)),
        "handle_hours": Decimal(str(spec.handle)), "verify_hours": Decimal(str(spec.verify)),
        "whistle_hours": Decimal(str(spec.whistle)), "photo_required": spec.photo, "max_returns": spec.returns,
        "unsatisfied_action": spec.unsatisfied, "description": spec.description,
    }


def _save(spec: Spec, parent: EventCategory | None, sort: int, update: bool,
          existing_by_code: dict[str, EventCategory]) -> tuple[EventCategory, bool]:
    existing = existing_by_code.get(spec.code)
    if existing is not None and not update:
        return existing, False
    category = existing or EventCategory(code=spec.code)
    for key, value in _fields(spec).items():
        setattr(category, key, value)
    category.parent = parent
    category.path = f"{parent.path if parent else '/'}{spec.code}/"
    category.depth = parent.depth + 1 if parent else 0
    category.sort = sort
    category.full_clean(validate_unique=False, validate_constraints=False)  # the database checks both
    category.save()
    return category, existing is None


def calendar_days() -> list[tuple[date, bool, str]]:
    out: list[tuple[date, bool, str]] = []
    for spans in HOLIDAYS.values():
        for first, last, name in spans:
            day, end = date.fromisoformat(first), date.fromisoformat(last)
            while day <= end:
                if day.weekday() < 5:  # a holiday on a weekend is a weekend already
                    out.append((day, False, name))
                day += timedelta(days=1)
    for days in MAKEUP_WORKDAYS.values():
        out.extend((date.fromisoformat(d), True, name) for d, name in days)
    return sorted(out)


@transaction.atomic
def load_event_categories(*, update: bool = False, actor=None) -> dict[str, int]:
    """Add the default categories, templates and calendar days that are missing (idempotent)."""
    counts = {"categories": 0, "templates": 0, "calendar_days": 0}
    existing = {c.code: c for c in EventCategory.objects.all()}
    by_code: dict[str, EventCategory] = {}
    for sort, (group, children) in enumerate(CATALOGUE, start=1):
        parent, created = _save(group, None, sort * 10, update, existing)
        counts["categories"] += created
        by_code[group.code] = parent
        for child_sort, spec in enumerate(children, start=1):
            child, created = _save(spec, parent, child_sort, update, existing)
            counts["categories"] += created
            by_code[spec.code] = child
    have = set(ResponseTemplate.objects.values_list("category_id", "action", "title"))
    templates = [ResponseTemplate(category=None, action=a, title=t, text=x, sort=i)
                 for i, (a, t, x) in enumerate(TEMPLATES) if (None, a, t) not in have]
    templates += [ResponseTemplate(category=by_code[code], action=a, title=t, text=x)
                  for code, a, t, x in CATEGORY_TEMPLATES if (by_code[code].pk, a, t) not in have]
    ResponseTemplate.objects.bulk_create(templates)
    counts["templates"] = len(templates)
    known_days = set(CalendarDay.objects.values_list("day", flat=True))
    days = [CalendarDay(day=d, is_workday=w, name=n) for d, w, n in calendar_days() if d not in known_days]
    CalendarDay.objects.bulk_create(days)
    counts["calendar_days"] = len(days)
    if update or any(counts.values()):
        audit_record(actor=actor, action="event_category.load", object_type="events.eventcategory",
                     object_repr="默认事项分类与处置程序", changes={**counts, "update": update})
    return counts
