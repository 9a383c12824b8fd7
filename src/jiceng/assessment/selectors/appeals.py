"""Appeals and re-review: a subject's appeals (the reply a draft until resolved), one appeal, and what a
manager may send back to be scored again."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from jiceng.core.errors import NotFoundError

from .. import workflow
from ..choices import AppealState
from ..models import Appeal, RaterAssignment


def subject_appeals(actor, subject) -> list[Appeal]:
    """A subject's appeals, for the person assessed and the scheme's managers only. The reply of an appeal
    still open is the reviewer's draft: managers read it, the appellant once it is resolved."""
    if not workflow.relations(subject.period, actor, subject):
        return []
    appeals = list(subject.appeals.order_by("filed_at", "pk"))
    if not workflow.is_manager(actor, subject.period.scheme):
        for a in appeals:
            if a.state == AppealState.OPEN:
                a.decision = ""  # not saved: this reader's copy only
    return appeals


def appeal_get(actor, pk: int) -> Appeal:
    """An appeal the actor may read (its subject's own account, a manager of the scheme), else 404."""
    appeal = Appeal.objects.select_related("period__scheme__region", "subject").filter(pk=pk).first()
    if appeal is None or not workflow.relations(appeal.period, actor, appeal.subject):
        raise NotFoundError(_("未找到该申诉，或您无权查看。"))
    return appeal


def subject_rerates(actor, subject) -> dict:
    """For the scheme's managers re-reviewing a subject: what may be sent back to be scored again —
    one rater of a named group, or a whole anonymous group (``value`` ``group`` or ``group:rater id``) —
    and what was sent back and is not submitted yet."""
    if not workflow.is_manager(actor, subject.period.scheme):
        return {"choices": [], "waiting": []}
    by_group: dict[int, list[RaterAssignment]] = defaultdict(list)
    groups = {}
    for a in subject.assignments.select_related("group", "rater").order_by("group__order", "group_id", "rater_id"):
        by_group[a.group_id].append(a)
        groups[a.group_id] = a.group
    choices, waiting = [], []
    for gid, assignments in by_group.items():
        g = groups[gid]
        if g.anonymous:
            units = [(g.code, _("%(group)s（全组 %(n)s 人）") % {"group": g.name, "n": len(assignments)}, assignments)]
        else:
            units = [(f"{g.code}:{a.rater_id}", f"{g.name} · {a.rater}", [a]) for a in assignments]
        for value, label, members in units:
            choices.append((value, label))
            sent = [a for a in members if a.rerate_requested_at is not None]
            if sent:
                waiting.append({"value": value, "label": label, "count": len(sent), "reason": sent[0].rerate_reason,
                                "at": sent[0].rerate_requested_at})
    return {"choices": choices, "waiting": waiting}
