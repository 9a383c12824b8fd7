"""Schemes and their versions. A definition is a plain dict (see ``docs/assessment.md``)::

    {"max_total": "100", "clip": True, "formula": "", "grade_bands": [...], "grade_quotas": {...},
     "streak_grade": "C", "streak_length": 3, "candidate_grade": "A", "red_top_n": 15, "black_bottom_n": 5,
     "routine_weight": "0",
     "groups": [{"code", "name", "kind", "weight", "max_points", "anonymous", "peer", "drop_extremes",
                 "questionnaire"}],
     "indicators": [{"code", "name", "kind", "group", "parent", "max_points", "cap", "auto_key",
                     "auto_target"}]}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError
from jiceng.regions.choices import RegionLevel

from .. import formula as formula_mod
from .. import registry
from ..choices import GroupKind, IndicatorKind, PeriodType, SubjectType
from ..compute import questionnaire_max
from ..models import AssessmentScheme, Indicator, RaterGroup, SchemeVersion
from ..workflow import require_manager

RESERVED = {"bonus", "deduction", "base", "routine_avg", "max_total", "min", "max", "round", "safe_div"}
VERSION_FIELDS = ["max_total", "clip", "formula", "grade_bands", "grade_quotas", "streak_grade", "streak_length",
                  "candidate_grade", "red_top_n", "black_bottom_n", "routine_weight"]


def _dec(value, field: str, *, low: Decimal | None = Decimal(0), high: Decimal | None = None) -> Decimal:
    if isinstance(value, bool):
        raise ApplicationError(_("须为数值。"), field=field)
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(_("须为数值。"), field=field) from exc
    if not d.is_finite():
        raise ApplicationError(_("须为有限数值。"), field=field)
    if low is not None and d < low:
        raise ApplicationError(_("不能小于 %(low)s。") % {"low": low}, field=field)
    if high is not None and d > high:
        raise ApplicationError(_("不能大于 %(high)s。") % {"high": high}, field=field)
    return d


def _code(value, field: str) -> str:
    code = str(value or "")
    if not code.isidentifier() or not code.isascii() or code.startswith("_") or len(code) > 32:
        raise ApplicationError(_("编码 %(code)s 须为字母开头的英文字母、数字或下划线（最多 32 位）。") % {
            "code": repr(code)}, field=field)
    if code in RESERVED:
        raise ApplicationError(_("编码 %(code)s 是保留字。") % {"code": code}, field=field)
    return code


def validate_definition(definition: dict) -> dict:
    """Check a definition completely and return it normalised; nothing is written."""
    d = dict(definition)
    out: dict = {}
    out["max_total"] = _dec(d.get("max_total", "100"), "max_total", low=Decimal("0.01"), high=Decimal("10000"))
    out["clip"] = bool(d.get("clip", True))
    out["routine_weight"] = _dec(d.get("routine_weight", "0"), "routine_weight", high=Decimal(100))
    for key in ("red_top_n", "black_bottom_n", "streak_length"):
        value = d.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
            raise ApplicationError(_("须为 0 至 1000 的整数。"), field=key)
        out[key] = value

    groups = d.get("groups") or []
    if not groups:
        raise ApplicationError(_("至少需要一个评分组。"), field="groups")
    seen: set[str] = set()
    norm_groups = []
    for i, g in enumerate(groups):
        code = _code(g.get("code"), f"groups[{i}].code")
        if code in seen:
            raise ApplicationError(_("评分组编码 %(code)s 重复。") % {"code": code}, field=f"groups[{i}].code")
        seen.add(code)
        kind = g.get("kind", GroupKind.INDICATORS)
        if kind not in GroupKind.values:
            raise ApplicationError(_("未知评分方式 %(kind)s。") % {"kind": kind}, field=f"groups[{i}].kind")
        ng = {"code": code, "name": str(g.get("name") or code)[:100], "kind": kind,
              "weight": _dec(g.get("weight"), "weight", high=Decimal(100)),
              "max_points": _dec(g.get("max_points", "100"), f"groups[{i}].max_points", low=Decimal("0.01"),
                                 high=Decimal("10000")),
              "anonymous": bool(g.get("anonymous", False)), "peer": bool(g.get("peer", False)),
              "drop_extremes": int(g.get("drop_extremes", 0) or 0), "questionnaire": g.get("questionnaire") or {}}
        if not 0 <= ng["drop_extremes"] <= 10:
            raise ApplicationError(_("去掉最高最低的个数须为 0 至 10。"), field=f"groups[{i}].drop_extremes")
        if kind == GroupKind.QUESTIONNAIRE:
            q = ng["questionnaire"]
            items, levels = q.get("items") or [], q.get("levels") or []
            if not items or not levels:
                raise ApplicationError(_("问卷须有测评项目和评价等次。"), field=f"groups[{i}].questionnaire")
            for level in levels:
                _dec(level.get("points"), f"groups[{i}].questionnaire")
            if len({it["code"] for it in items}) != len(items) or len({lv["code"] for lv in levels}) != len(levels):
                raise ApplicationError(_("问卷项目或等次编码重复。"), field=f"groups[{i}].questionnaire")
            ng["max_points"] = questionnaire_max(q)
            if ng["max_points"] <= 0:
                raise ApplicationError(_("问卷满分须大于零。"), field=f"groups[{i}].questionnaire")
        norm_groups.append(ng)
    total_weight = sum((g["weight"] for g in norm_groups), Decimal(0))
    if total_weight != Decimal(100):
        raise ApplicationError(_("各评分组权重之和须为 100%%，现为 %(total)s%%。") % {"total": total_weight},
                               field="weight")
    out["groups"] = norm_groups
    kinds = {g["code"]: g["kind"] for g in norm_groups}

    inds: dict[str, dict] = {}
    for i, ind in enumerate(d.get("indicators") or []):
        field = f"indicators[{i}]"
        code = _code(ind.get("code"), f"{field}.code")
        if code in inds or code in kinds:
            raise ApplicationError(_("指标编码 %(code)s 与其他指标或评分组重复。") % {"code": code},
                                   field=f"{field}.code")
        kind = ind.get("kind", IndicatorKind.MANUAL)
        if kind not in IndicatorKind.values:
            raise ApplicationError(_("未知指标类型 %(kind)s。") % {"kind": kind}, field=f"{field}.kind")
        parent = ind.get("parent") or None
        group = ind.get("group") or None
        if parent is not None:
            if parent not in inds:
                raise ApplicationError(_("上级指标 %(code)s 须先定义。") % {"code": parent}, field=f"{field}.parent")
            p = inds[parent]
            group = p["group"]
            same_family = (p["kind"] == kind) or ({p["kind"], kind} <= {IndicatorKind.MANUAL, IndicatorKind.AUTO})
            if not same_family:
                raise ApplicationError(_("下级指标须与上级同类（评分/加分/减分）。"), field=f"{field}.kind")
            p["has_children"] = True
        if kind in (IndicatorKind.MANUAL, IndicatorKind.AUTO):
            if group is None or kinds.get(group) != GroupKind.INDICATORS:
                raise ApplicationError(_("评分指标须属于“指标评分”方式的评分组。"), field=f"{field}.group")
        elif group is not None:
            raise ApplicationError(_("加分项、减分项不属于评分组。"), field=f"{field}.group")
        auto_key = str(ind.get("auto_key") or "")
        if kind == IndicatorKind.AUTO and not registry.is_registered(auto_key):
            raise ApplicationError(_("自动指标 %(key)s 未注册。") % {"key": auto_key or _("（空）")},
                                   field=f"{field}.auto_key")
        cap = ind.get("cap")
        inds[code] = {"code": code, "name": str(ind.get("name") or code)[:100], "kind": kind, "group": group,
                      "parent": parent, "max_points": _dec(ind.get("max_points", "0"), f"{field}.max_points",
                                                           high=Decimal("10000")),
                      "cap": None if cap in (None, "") else _dec(cap, f"{field}.cap", high=Decimal("10000")),
                      "auto_key": auto_key,
                      "auto_target": _dec(ind.get("auto_target", "1"), f"{field}.auto_target", low=Decimal("0.0001")),
                      "has_children": False}
    # A scored section's maximum is the sum of its children; a group's is the sum of its roots.
    for ind in reversed(list(inds.values())):
        if ind["has_children"] and ind["kind"] in (IndicatorKind.MANUAL, IndicatorKind.AUTO):
            ind["max_points"] = sum((c["max_points"] for c in inds.values() if c["parent"] == ind["code"]),
                                    Decimal(0))
    for g in norm_groups:
        if g["kind"] != GroupKind.INDICATORS:
            continue
        roots = [x for x in inds.values() if x["group"] == g["code"] and x["parent"] is None]
        if not roots:
            raise ApplicationError(_("评分组 %(name)s 没有指标。") % {"name": g["name"]}, field="indicators")
        total = sum((x["max_points"] for x in roots), Decimal(0))
        if total != g["max_points"]:
            raise ApplicationError(_("评分组 %(name)s 的指标分值合计 %(total)s 与满分 %(max)s 不符。") % {
                "name": g["name"], "total": total, "max": g["max_points"]}, field="max_points")
    out["indicators"] = list(inds.values())

    bands = d.get("grade_bands") or []
    grades = []
    for i, band in enumerate(bands):
        grade = str(band.get("grade") or "")
        if not grade or grade in grades or len(grade) > 16:
            raise ApplicationError(_("等次名称为空或重复。"), field=f"grade_bands[{i}].grade")
        grades.append(grade)
        _dec(band.get("min"), f"grade_bands[{i}].min", high=out["max_total"])
    out["grade_bands"] = [{"grade": str(b["grade"]), "min": str(Decimal(str(b["min"])))} for b in bands]
    quotas = d.get("grade_quotas") or {}
    for grade, pct in quotas.items():
        if grade not in grades:
            raise ApplicationError(_("比例限制的等次 %(grade)s 不在分档中。") % {"grade": grade}, field="grade_quotas")
        _dec(pct, "grade_quotas", high=Decimal(100))
    out["grade_quotas"] = {str(k): str(Decimal(str(v))) for k, v in quotas.items()}
    for key in ("streak_grade", "candidate_grade"):
        value = str(d.get(key) or "")
        if value and value not in grades:
            raise ApplicationError(_("等次 %(grade)s 不在分档中。") % {"grade": value}, field=key)
        out[key] = value
    if out["streak_grade"] and out["streak_length"] < 2:
        raise ApplicationError(_("连续次数至少为 2。"), field="streak_length")

    out["formula"] = str(d.get("formula") or "").strip()
    if out["formula"]:
        names = set(RESERVED) - {"min", "max", "round", "safe_div"}
        names |= set(kinds) | set(inds)
        formula_mod.parse(out["formula"], names)
    return out


def _write_version(version: SchemeVersion, norm: dict) -> None:
    for key in VERSION_FIELDS:
        setattr(version, key, norm[key])
    version.save()
    version.groups.all().delete()
    version.indicators.all().delete()
    groups = {}
    for order, g in enumerate(norm["groups"]):
        groups[g["code"]] = RaterGroup.objects.create(
            version=version, order=order, **{k: g[k] for k in ("code", "name", "kind", "weight", "max_points",
                                                                 "anonymous", "peer", "drop_extremes",
                                                                 "questionnaire")})
    made: dict[str, Indicator] = {}
    for order, ind in enumerate(norm["indicators"]):
        made[ind["code"]] = Indicator.objects.create(
            version=version, order=order, group=groups.get(ind["group"]) if ind["group"] else None,
            parent=made[ind["parent"]] if ind["parent"] else None,
            **{k: ind[k] for k in ("code", "name", "kind", "max_points", "cap", "auto_key", "auto_target")})


def _summary(norm: dict) -> dict:
    return {"groups": {g["code"]: str(g["weight"]) for g in norm["groups"]},
            "indicators": [i["code"] for i in norm["indicators"]], "formula": norm["formula"]}


@transaction.atomic
def scheme_create(*, actor, name: str, subject_type: str, period_type: str, region, definition: dict,
                  description: str = "") -> AssessmentScheme:
    if not name or len(name) > 100:
        raise ApplicationError(_("方案名称不能为空（最多 100 字）。"), field="name")
    if subject_type not in SubjectType.values:
        raise ApplicationError(_("未知考核对象类型 %(type)s。") % {"type": subject_type}, field="subject_type")
    if period_type not in PeriodType.values:
        raise ApplicationError(_("未知考核周期 %(type)s。") % {"type": period_type}, field="period_type")
    if region is None or region.level > RegionLevel.COMMUNITY:
        raise ApplicationError(_("方案须属于市、区县、街道/乡镇或社区/村，不能属于网格。"), field="region")
    scheme = AssessmentScheme(name=name, subject_type=subject_type, period_type=period_type, region=region,
                              description=description, created_by=actor)
    require_manager(actor, scheme)
    norm = validate_definition(definition)
    scheme.save()
    version = SchemeVersion(scheme=scheme, number=1, created_by=actor)
    _write_version(version, norm)
    audit_record(actor=actor, action="assessment.scheme_create", obj=scheme,
                 changes={"name": [None, name], "subject_type": [None, subject_type], "version": [None, 1],
                          **{k: [None, v] for k, v in _summary(norm).items()}})
    return scheme


@transaction.atomic
def scheme_version_create(*, actor, scheme: AssessmentScheme, definition: dict) -> SchemeVersion:
    """Editing a scheme: a new version. Periods already made keep theirs."""
    require_manager(actor, scheme)
    norm = validate_definition(definition)
    last = scheme.versions.order_by("-number").first()
    version = SchemeVersion(scheme=scheme, number=(last.number if last else 0) + 1, created_by=actor)
    _write_version(version, norm)
    audit_record(actor=actor, action="assessment.version_create", obj=version,
                 changes={"number": [None, version.number], **{k: [None, v] for k, v in _summary(norm).items()}})
    return version


@transaction.atomic
def scheme_version_update(*, actor, version: SchemeVersion, definition: dict) -> SchemeVersion:
    """Change a version no period uses yet; a frozen version is refused (make a new one)."""
    version = SchemeVersion.objects.select_for_update().select_related("scheme__region").get(pk=version.pk)
    require_manager(actor, version.scheme)
    if version.frozen:
        raise ApplicationError(_("该方案版本已被考核期使用，不能修改；请创建新版本。"), field="version")
    norm = validate_definition(definition)
    _write_version(version, norm)
    audit_record(actor=actor, action="assessment.version_update", obj=version,
                 changes={k: [None, v] for k, v in _summary(norm).items()})
    return version
