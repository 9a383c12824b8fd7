"""The one table of the case workflow: states, transitions, and who may take each.

Services never decide on their own whether an action is allowed: they call ``check`` with the
case and the actor. An actor's *relations* to a case (command centre, handling unit, verifier …)
are computed here too, from the actor's role and binding and the case's grid and handling unit.

States (docs/events.md has the full table)::

    待受理 ─立案→ 已立案 ─派遣→ 已派遣 ─签收→ 已签收 ─开始处置→ 处置中 ─反馈→ 待核查 ─核查通过→ 已结案 ─评价→ 已评价
       └不予立案      ↑  └退单→ 已退单/待审定 ─审定→ 已派遣          ↑__________核查不通过 / 不满意 (重办)___|
    (open states) ─挂起→ 挂起 ─恢复→ (the state it was in);  (open states) ─作废→ 作废
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role
from jiceng.regions.choices import RegionLevel

from .choices import EventState as S
from .choices import UnitKind

# --- relations: what an actor is to one case ---------------------------------------------------

COMMAND = "command"  # 指挥中心: county/street staff over the case's grid; community staff of its community
HANDLER = "handler"  # a member of the unit now handling the case
VERIFIER = "verifier"  # grid worker of the case's grid or staff of its community, never a handler
SUPERVISOR = "supervisor"  # county/street staff over the case (督办)
WHISTLER = "whistler"  # street staff over the case or community staff of its community (吹哨)
CALLED = "called"  # staff of a department with an open whistle call on the case
CALLER = "caller"  # call-back rating (回访) by command-centre staff who did not handle the case
REPORTER = "reporter"  # the resident, through the signed rating link
SYSTEM = "system"  # timers, automatic dispatch of emergency calls, IoT intake
PUBLIC = "public"  # anyone: intake and "me too"

RELATION_LABELS = {
    COMMAND: pgettext_lazy("case relation", "指挥中心"), HANDLER: pgettext_lazy("case relation", "处置单位"),
    VERIFIER: pgettext_lazy("case relation", "核查人"), SUPERVISOR: pgettext_lazy("case relation", "上级督办"),
    WHISTLER: pgettext_lazy("case relation", "吹哨单位"), CALLED: pgettext_lazy("case relation", "报到部门"),
    CALLER: pgettext_lazy("case relation", "回访人"), REPORTER: pgettext_lazy("case relation", "上报人"),
    SYSTEM: pgettext_lazy("case relation", "系统"), PUBLIC: pgettext_lazy("case relation", "群众"),
}

WORKING = (S.REGISTERED, S.DISPATCHED, S.SIGNED, S.HANDLING)
VOIDABLE = (S.PENDING, S.REGISTERED, S.RETURNED, S.RULING, S.DISPATCHED, S.SIGNED, S.HANDLING, S.SUSPENDED)
NOTE_STATES = (S.REGISTERED, S.DISPATCHED, S.RETURNED, S.RULING, S.SIGNED, S.HANDLING, S.TO_VERIFY, S.SUSPENDED)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the service chooses (resume → the state before; return → 已退单 or 待审定)
    relations: frozenset[str]
    needs_reason: bool = False

    @property
    def changes_state(self) -> bool:
        return self.target != "="


def _t(action, label, sources, target, relations, needs_reason=False) -> Transition:
    return Transition(action, label, tuple(sources), target, frozenset(relations), needs_reason)


# target "=" marks a note: the state does not change.
TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    _t("report", pgettext_lazy("action", "上报"), (), S.PENDING, {PUBLIC}),
    _t("register", pgettext_lazy("action", "立案"), (S.PENDING,), S.REGISTERED, {COMMAND, SYSTEM}),
    _t("reject", pgettext_lazy("action", "不予立案"), (S.PENDING,), S.REJECTED, {COMMAND}, needs_reason=True),
    _t("dispatch", pgettext_lazy("action", "派遣"), (S.REGISTERED, S.RETURNED), S.DISPATCHED, {COMMAND, SYSTEM}),
    _t("redispatch", pgettext_lazy("action", "改派"), (S.DISPATCHED, S.SIGNED, S.HANDLING), S.DISPATCHED, {COMMAND}),
    _t("escalate", pgettext_lazy("action", "上报升级"), (S.DISPATCHED, S.SIGNED, S.HANDLING), S.DISPATCHED, {HANDLER, COMMAND},
       needs_reason=True),
    _t("sign", pgettext_lazy("action", "签收"), (S.DISPATCHED,), S.SIGNED, {HANDLER}),
    _t("return", pgettext_lazy("action", "退单"), (S.DISPATCHED, S.SIGNED), None, {HANDLER}, needs_reason=True),
    _t("rule", pgettext_lazy("action", "审定"), (S.RULING,), S.DISPATCHED, {COMMAND}),
    _t("start", pgettext_lazy("action", "开始处置"), (S.SIGNED,), S.HANDLING, {HANDLER}),
    _t("submit", pgettext_lazy("action", "处置反馈"), (S.HANDLING,), S.TO_VERIFY, {HANDLER}, needs_reason=True),
    _t("verify", pgettext_lazy("action", "核查通过"), (S.TO_VERIFY,), S.CLOSED, {VERIFIER}),
    _t("verify_fail", pgettext_lazy("action", "核查不通过（重办）"), (S.TO_VERIFY,), S.HANDLING, {VERIFIER}, needs_reason=True),
    _t("rate", pgettext_lazy("action", "评价"), (S.CLOSED,), S.RATED, {REPORTER, CALLER}),
    _t("reopen", pgettext_lazy("action", "重办"), (S.CLOSED, S.RATED), S.HANDLING, {COMMAND, SYSTEM}, needs_reason=True),
    _t("suspend", pgettext_lazy("action", "挂起"), WORKING, S.SUSPENDED, {COMMAND}, needs_reason=True),
    _t("resume", pgettext_lazy("action", "恢复"), (S.SUSPENDED,), None, {COMMAND}),
    _t("void", pgettext_lazy("action", "作废"), VOIDABLE, S.VOID, {COMMAND}, needs_reason=True),
    _t("merge", pgettext_lazy("action", "合并（重复）"), VOIDABLE, S.VOID, {COMMAND}),
    # notes: no change of state
    _t("join", pgettext_lazy("action", "附议"), tuple(s for s in S if s not in (S.CLOSED, S.RATED, S.REJECTED, S.VOID)), "=", {PUBLIC}),
    _t("whistle", pgettext_lazy("action", "吹哨"), WORKING, "=", {WHISTLER}, needs_reason=True),
    _t("whistle_report", pgettext_lazy("action", "报到"), NOTE_STATES, "=", {CALLED}),
    _t("whistle_feedback", pgettext_lazy("action", "部门反馈"), NOTE_STATES, "=", {CALLED}, needs_reason=True),
    _t("supervise", pgettext_lazy("action", "督办"), NOTE_STATES + (S.PENDING,), "=", {SUPERVISOR}, needs_reason=True),
    _t("warn", pgettext_lazy("action", "临期预警"), tuple(S), "=", {SYSTEM}),
    _t("overdue", pgettext_lazy("action", "超期"), tuple(S), "=", {SYSTEM}),
    _t("whistle_late", pgettext_lazy("action", "报到超时"), tuple(S), "=", {SYSTEM}),
]}

# Actions whose actor counts as a handler of the case (they may then neither verify nor rate it).
HANDLER_ACTIONS = frozenset({"sign", "start", "submit", "escalate", "return"})


def transition(action: str) -> Transition:
    return TRANSITIONS[action]


def allowed_actions(state: str, relations: frozenset[str]) -> list[str]:
    """Actions the holder of ``relations`` may take on a case in ``state`` (for buttons)."""
    return [t.action for t in TRANSITIONS.values()
            if state in t.sources and t.relations & relations and t.relations - {SYSTEM, PUBLIC}]


def check(action: str, *, state: str, relations: frozenset[str]) -> Transition:
    """Refuse an action not allowed from ``state`` or for an actor without a matching relation.
    The state is checked first: "not now" is more useful than "not you" when both hold."""
    t = TRANSITIONS[action]
    if state not in t.sources:
        raise ApplicationError(_("事件当前为“%(state)s”，不能%(action)s。") % {
            "state": S(state).label, "action": t.label}, field="state")
    if not (t.relations & relations):
        names = pgettext("list separator", "、").join(str(RELATION_LABELS[r]) for r in sorted(t.relations))
        raise PermissionDeniedError(_("只有%(names)s可以%(action)s。") % {"names": names, "action": t.label})
    return t


# --- what the case itself allows -----------------------------------------------------------------


def escalation_level(event) -> int | None:
    """The level a case escalates to: one above the region handling it (a department's case goes to
    its county); None when the county itself handles it (nothing above it takes cases)."""
    if event.handler_kind == UnitKind.DEPARTMENT:
        return RegionLevel.COUNTY
    if event.handler_kind == UnitKind.REGION and event.handler_region is not None:
        level = event.handler_region.level
        return level - 1 if level > RegionLevel.COUNTY else None
    return None


def case_refusal(action: str, event, actor) -> str:
    """Why the case itself refuses an action the table allows (an empty string when it does not): a
    case ruled by the command centre (审定) can no longer be returned; a case escalates one level up
    — not from the county, and not by the command centre that would receive it (it takes the case
    back by 改派)."""
    if action == "return" and event.returns_locked:
        return _("该事件已经审定，不能再退单。")
    if action == "escalate":
        level = escalation_level(event)
        if level is None:
            return _("已是区县层级，不能再上报升级。")
        region = actor.region if actor is not None and actor.region_id else None
        if region is not None and region.level == level and event.grid.path.startswith(region.path):
            return _("上报升级将交给%(name)s本身；要收回或另派处置单位，请用改派。") % {"name": region.name}
    return ""


def closing_photo_missing(event, submitted_photos) -> bool:
    """核查通过 needs the checker's own photo: the category closes only with one (``photo_required``)
    and the handler's latest 处置反馈 (``submitted_photos``) carried none."""
    return bool(event.category.photo_required) and not submitted_photos


# --- who the actor is to the case --------------------------------------------------------------


def _worker_grid_paths(actor) -> list[str]:
    cache = getattr(actor, "_jiceng_worker_paths", None)
    if cache is None:
        cache = actor.scope_paths(personal=True) if actor.role == Role.GRID_WORKER else []
        actor._jiceng_worker_paths = cache
    return cache


def _worker_community_id(actor) -> int | None:
    worker = getattr(actor, "grid_worker", None) if actor.role == Role.GRID_WORKER else None
    return worker.community_id if worker is not None and worker.active else None


def own_unit(actor) -> tuple[str, int] | None:
    """The handling unit the actor belongs to, as (kind, id): a department's staff their department;
    county, street and community staff their region; a grid worker their community. None otherwise."""
    if not is_active_account(actor):
        return None
    if actor.role == Role.DEPARTMENT_STAFF:
        return (UnitKind.DEPARTMENT, actor.department_id) if actor.department_id else None
    if actor.role in (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF):
        return (UnitKind.REGION, actor.region_id) if actor.region_id else None
    if actor.role == Role.GRID_WORKER:
        community_id = _worker_community_id(actor)
        return (UnitKind.REGION, community_id) if community_id else None
    return None


def in_handling_unit(event, actor) -> bool:
    """Is the actor a member of the unit now handling the case?"""
    unit = own_unit(actor)
    if unit is None or not event.handler_kind:
        return False
    handler_id = event.handler_department_id if event.handler_kind == UnitKind.DEPARTMENT else event.handler_region_id
    return unit == (event.handler_kind, handler_id)


def relations(event, actor, *, handler_ids: frozenset[int] = frozenset(),
              called_department_ids: frozenset[int] = frozenset()) -> frozenset[str]:
    """The actor's relations to the case. ``handler_ids`` are the users who acted as its handler
    (``HANDLER_ACTIONS`` in the timeline): they never verify or rate the case.
    ``called_department_ids`` are the departments with an open whistle call on it."""
    if not is_active_account(actor):
        return frozenset()
    rels: set[str] = set()
    grid_path = event.grid.path
    role = actor.role
    covers = actor.region_id is not None and grid_path.startswith(actor.region.path)
    if role in (Role.COUNTY_STAFF, Role.STREET_STAFF) and covers:
        rels |= {COMMAND, SUPERVISOR}
        if role == Role.STREET_STAFF:
            rels.add(WHISTLER)
    if role == Role.COMMUNITY_STAFF and actor.region_id == event.community_id:
        rels |= {COMMAND, WHISTLER}
    if in_handling_unit(event, actor):
        rels.add(HANDLER)
    if actor.pk not in handler_ids:
        if role == Role.GRID_WORKER and any(grid_path.startswith(p) for p in _worker_grid_paths(actor)):
            rels.add(VERIFIER)
        if role == Role.COMMUNITY_STAFF and actor.region_id == event.community_id:
            rels.add(VERIFIER)
        if COMMAND in rels:
            rels.add(CALLER)
    if role == Role.DEPARTMENT_STAFF and actor.department_id in called_department_ids:
        rels.add(CALLED)
    return frozenset(rels)
