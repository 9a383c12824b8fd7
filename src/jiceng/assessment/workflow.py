"""The one table of the assessment-period workflow: states, transitions, and who may take them.

    草稿 ─开始评分→ 评分中 ─结束评分→ 评分结束 ─计算→ 已计算 ─公布→ 已公布 ─申诉→ 申诉中 ─复核→ 复核中 ─复核后公布→ 复核后公布
                                              已计算 ─重新计算→ 已计算      复核后公布 ─申诉→ 申诉中 (again)

Rating is possible only while 评分中 (and, for subjects under appeal, while 复核中). Results are
frozen from 已公布 on: only the re-review recomputation adds new result versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.scope import in_scope, is_active_account
from jiceng.people.choices import REGION_STAFF_ROLES

from .choices import PeriodState as S

MANAGER = "manager"  # region staff (county / street / community) whose scope covers the scheme's region
SUBJECT = "subject"  # the assessed person (or a manager on their behalf) may appeal


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    relations: frozenset[str]


def _t(action, label, sources, target, relations) -> Transition:
    return Transition(action, label, tuple(sources), target, frozenset(relations))


TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    _t("open_scoring", pgettext_lazy("action", "开始评分"), (S.DRAFT,), S.SCORING_OPEN, {MANAGER}),
    _t("close_scoring", pgettext_lazy("action", "结束评分"), (S.SCORING_OPEN,), S.SCORING_CLOSED, {MANAGER}),
    _t("compute", pgettext_lazy("action", "计算"), (S.SCORING_CLOSED, S.COMPUTED), S.COMPUTED, {MANAGER}),
    _t("publish", pgettext_lazy("action", "公布"), (S.COMPUTED,), S.PUBLISHED, {MANAGER}),
    _t("appeal", pgettext_lazy("action", "申诉"), (S.PUBLISHED, S.REPUBLISHED, S.APPEAL), S.APPEAL, {MANAGER, SUBJECT}),
    _t("start_rereview", pgettext_lazy("action", "复核"), (S.APPEAL,), S.REREVIEW, {MANAGER}),
    _t("recompute", pgettext_lazy("action", "复核重算"), (S.REREVIEW,), S.REREVIEW, {MANAGER}),
    _t("republish", pgettext_lazy("action", "复核后公布"), (S.REREVIEW,), S.REPUBLISHED, {MANAGER}),
]}

RATING_STATES = (S.SCORING_OPEN,)
APPEAL_CORRECTION_STATES = (S.REREVIEW,)
PUBLISHED_STATES = (S.PUBLISHED, S.APPEAL, S.REREVIEW, S.REPUBLISHED)
STATE_EDITABLE_SUBJECTS = (S.DRAFT, S.SCORING_OPEN)


def is_manager(actor, scheme) -> bool:
    if not is_active_account(actor):
        return False
    return actor.role in REGION_STAFF_ROLES and in_scope(scheme.region, actor)


def may_make_schemes(actor) -> bool:
    """County, street and community staff set up schemes for their region (or a region below it)."""
    return is_active_account(actor) and actor.role in REGION_STAFF_ROLES


def relations(period, actor, subject=None) -> set[str]:
    rel = set()
    if is_manager(actor, period.scheme):
        rel |= {MANAGER, SUBJECT}
    if subject is not None and subject.user_id and actor is not None and subject.user_id == actor.pk:
        rel.add(SUBJECT)
    return rel


def check(period, actor, action: str, subject=None) -> Transition:
    """The transition, or PermissionDeniedError / ApplicationError(field='state')."""
    t = TRANSITIONS[action]
    if not relations(period, actor, subject) & t.relations:
        raise PermissionDeniedError(_("您无权执行“%(action)s”。") % {"action": t.label})
    if period.state not in t.sources:
        raise ApplicationError(_("考核期为“%(state)s”，不能“%(action)s”。") % {
            "state": period.get_state_display(), "action": t.label}, field="state")
    return t


def may(period, actor, action: str, subject=None) -> bool:
    """Whether ``check`` would let the actor take the action now (for pages to offer it)."""
    t = TRANSITIONS[action]
    return period.state in t.sources and bool(relations(period, actor, subject) & t.relations)


def require_manager(actor, scheme) -> None:
    if not is_manager(actor, scheme):
        raise PermissionDeniedError(_("您无权管理该考核方案。"))


def available(period, actor) -> list[Transition]:
    rel = relations(period, actor)
    return [t for t in TRANSITIONS.values() if period.state in t.sources and rel & t.relations]
