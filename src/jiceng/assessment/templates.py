"""Shipped scheme templates, from the practices in the source reports. Each ``*_definition``
returns a plain definition (copy and change it freely); each ``*_scheme_create`` makes a scheme.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import ApplicationError

from .choices import DEFAULT_QUESTIONNAIRE, GroupKind, IndicatorKind, PeriodType, SubjectType
from .services import scheme_create

FOUR_GRADES = [{"grade": "优秀", "min": "90"}, {"grade": "称职", "min": "75"},
               {"grade": "基本称职", "min": "60"}, {"grade": "不称职", "min": "0"}]
ABC_GRADES = [{"grade": "A", "min": "90"}, {"grade": "B", "min": "75"}, {"grade": "C", "min": "0"}]


def jixian_worker_definition() -> dict:
    """集贤: 量化考核 70% + 民主测评 30%, 百分制; 减分项 in 工作作风, 组织纪律, 业务素质, 廉洁自律;
    加分项; 德能勤绩廉 democratic evaluation (highest and lowest ballot dropped); 优秀 at most 20%."""
    D = IndicatorKind.DEDUCTION
    return {
        "max_total": "100", "clip": True,
        "groups": [
            {"code": "quant", "name": "量化考核", "kind": GroupKind.INDICATORS, "weight": "70", "max_points": "100"},
            {"code": "democratic", "name": "民主测评", "kind": GroupKind.QUESTIONNAIRE, "weight": "30",
             "anonymous": True, "drop_extremes": 1, "questionnaire": copy.deepcopy(DEFAULT_QUESTIONNAIRE)},
        ],
        "indicators": [
            {"code": "party", "name": "党建工作", "group": "quant", "max_points": "20"},
            {"code": "grid", "name": "网格服务", "group": "quant", "max_points": "30"},
            {"code": "satisfaction", "name": "居民满意度", "group": "quant", "max_points": "30"},
            {"code": "daily", "name": "日常工作", "group": "quant", "max_points": "20"},
            {"code": "style", "name": "工作作风", "kind": D, "max_points": "5", "cap": "10"},
            {"code": "discipline", "name": "组织纪律", "kind": D, "max_points": "5", "cap": "10"},
            {"code": "competence", "name": "业务素质", "kind": D, "max_points": "5", "cap": "10"},
            {"code": "integrity", "name": "廉洁自律", "kind": D, "max_points": "10", "cap": "10"},
            {"code": "bonus_items", "name": "加分项", "kind": IndicatorKind.BONUS, "cap": "5"},
            {"code": "honour", "name": "获上级表彰", "kind": IndicatorKind.BONUS, "parent": "bonus_items",
             "max_points": "3", "cap": "3"},
            {"code": "innovation", "name": "创新工作", "kind": IndicatorKind.BONUS, "parent": "bonus_items",
             "max_points": "2", "cap": "4"},
        ],
        "grade_bands": copy.deepcopy(FOUR_GRADES), "grade_quotas": {"优秀": "20"},
    }


def zhangjiakou_secretary_definition() -> dict:
    """张家口: quarterly ranking of community secretaries — 镇街党政正职评价, 评委打分 (department
    heads; highest and lowest dropped), 社区书记互评 (anonymous, never oneself); A/B/C; three
    consecutive C → adjustment; A → priority for a permanent post (入编)."""
    return {
        "max_total": "100", "clip": True,
        "groups": [
            {"code": "leaders", "name": "镇街党政正职评价", "kind": GroupKind.SINGLE, "weight": "40",
             "max_points": "100"},
            {"code": "judges", "name": "评委打分", "kind": GroupKind.SINGLE, "weight": "40", "max_points": "100",
             "drop_extremes": 1},
            {"code": "peers", "name": "社区书记互评", "kind": GroupKind.SINGLE, "weight": "20", "max_points": "100",
             "anonymous": True, "peer": True},
        ],
        "indicators": [],
        "grade_bands": copy.deepcopy(ABC_GRADES),
        "streak_grade": "C", "streak_length": 3, "candidate_grade": "A",
    }


def property_three_party_definition(*, red_top_n: int = 15, black_bottom_n: int = 5) -> dict:
    """Three-party quarterly property-service assessment: 街道社区党组织 70% (下花园), 业主委员会 and
    住建部门 sharing the rest; 红榜 top 15, 黑榜 bottom 5 (宣化)."""
    return {
        "max_total": "100", "clip": True,
        "groups": [
            {"code": "party_org", "name": "街道社区党组织", "kind": GroupKind.SINGLE, "weight": "70",
             "max_points": "100"},
            {"code": "owners", "name": "业主委员会", "kind": GroupKind.SINGLE, "weight": "15", "max_points": "100"},
            {"code": "housing", "name": "住建部门", "kind": GroupKind.SINGLE, "weight": "15", "max_points": "100"},
        ],
        "indicators": [],
        "red_top_n": red_top_n, "black_bottom_n": black_bottom_n,
    }


def jixian_worker_scheme_create(*, actor, region, name: str = "社区工作者年度考核", period_type: str = PeriodType.YEAR):
    return scheme_create(actor=actor, name=name, subject_type=SubjectType.STAFF, period_type=period_type,
                         region=region, definition=jixian_worker_definition())


def zhangjiakou_secretary_scheme_create(*, actor, region, name: str = "社区书记季度考核排名"):
    return scheme_create(actor=actor, name=name, subject_type=SubjectType.SECRETARY, period_type=PeriodType.QUARTER,
                         region=region, definition=zhangjiakou_secretary_definition())


def property_three_party_scheme_create(*, actor, region, name: str = "物业服务企业三方季度考核",
                                       red_top_n: int = 15, black_bottom_n: int = 5):
    return scheme_create(actor=actor, name=name, subject_type=SubjectType.PROPERTY, period_type=PeriodType.QUARTER,
                         region=region, definition=property_three_party_definition(red_top_n=red_top_n,
                                                                                   black_bottom_n=black_bottom_n))


@dataclass(frozen=True)
class SchemeTemplate:
    """A shipped scheme as offered on the page and in the API: what it assesses, how often, its rules."""

    key: str
    name: str  # the scheme's default name
    subject_type: str
    period_type: str
    definition: Callable[[], dict]
    summary: str


TEMPLATES: dict[str, SchemeTemplate] = {t.key: t for t in [
    SchemeTemplate("jixian_worker", "社区工作者年度考核", SubjectType.STAFF, PeriodType.YEAR, jixian_worker_definition,
                   _("集贤：量化考核 70%（党建、网格服务、居民满意度、日常工作）+ 民主测评 30%（德能勤绩廉，去掉最高最低）；"
                     "减分项、加分项；优秀 ≥ 90 且不超过 20%。")),
    SchemeTemplate("zhangjiakou_secretary", "社区书记季度考核排名", SubjectType.SECRETARY, PeriodType.QUARTER,
                   zhangjiakou_secretary_definition,
                   _("张家口：镇街党政正职评价 40%、评委打分 40%（去掉最高最低）、社区书记互评 20%（匿名）；"
                     "A ≥ 90、B ≥ 75、C；连续 3 个季度 C 档建议调整，A 档优先入编。")),
    SchemeTemplate("property_three_party", "物业服务企业三方季度考核", SubjectType.PROPERTY, PeriodType.QUARTER,
                   property_three_party_definition,
                   _("物业三方考核：街道社区党组织 70%、业主委员会 15%、住建部门 15%；红榜前 15 名、黑榜后 5 名。")),
]}


def scheme_from_template(*, actor, template: str, region, name: str = ""):
    """A scheme made from a shipped template: its subject type, period type and rules, in ``region``
    (within the actor's scope: ``scheme_create`` checks that the actor manages it), named ``name`` or
    the template's name."""
    found = TEMPLATES.get(template)
    if found is None:
        raise ApplicationError(_("未知的方案模板 %(template)s。") % {"template": template}, field="template")
    return scheme_create(actor=actor, name=(name or "").strip() or found.name, subject_type=found.subject_type,
                         period_type=found.period_type, region=region, definition=found.definition())
