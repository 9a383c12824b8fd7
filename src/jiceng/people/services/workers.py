"""Grid workers: their records and the grids they cover (which are the scope of a worker's login)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.audit import audit_record, diff, snapshot
from jiceng.core.crypto import blind_index
from jiceng.core.edits import edit_unchanged_check, editable_fields_check
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.validators import gender_from_id
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.models import Region

from ..choices import Role, WorkerKind
from ..models import GridAssignment, GridWorker, User
from .rules import SECRET_FIELDS, _clean_person_ids, _full_clean, can_edit_people_in, id_unique_check

WORKER_FIELDS = ["name", "kind", "gender", "id_number", "phone", "community_id", "occupation",
                 "is_party_member", "active", "joined_on", "user_id"]


WORKER_EDIT_REFUSAL = gettext_lazy("网格员的档案由其所在社区/村及以上的工作人员维护：网格员不能修改自己或同事的档案，如需更正，请告知社区。")


def can_edit_worker(actor, worker: GridWorker) -> bool:
    """The rule ``grid_worker_update`` and ``grid_worker_set_grids`` apply: the staff of the worker's
    community and above; a grid worker keeps residents, not its colleagues' records or its own."""
    return can_edit_people_in(actor, worker.community) and actor.role != Role.GRID_WORKER


def _check_worker_grids(community: Region, grids: list[Region], kind: str) -> None:
    for grid in grids:
        if grid.level not in GRID_LEVELS:
            raise ApplicationError(_("“%(name)s”不是网格。") % {"name": grid.name}, field="grids")
        if kind != WorkerKind.SPECIAL and not grid.path.startswith(community.path):
            raise ApplicationError(_("网格“%(name)s”不属于%(community)s。") % {
                "name": grid.name, "community": community.name}, field="grids")


def _check_grids_in_scope(actor, grids: list[Region]) -> None:
    """A worker's grids become the scope of the worker's login: the actor may hand out only grids it
    keeps itself (a special worker may cover other communities' grids, but not beyond the actor's)."""
    for grid in grids:
        if not can_edit_people_in(actor, grid):
            raise PermissionDeniedError(_("您无权把网格“%(name)s”分配给网格员。") % {"name": grid.name}, field="grids")


def _check_joined_on(joined_on) -> None:
    if joined_on is not None and joined_on > timezone.localdate():
        raise ApplicationError(_("入职日期不能晚于今天。"), field="joined_on")


@transaction.atomic
def grid_worker_create(*, actor, name: str, kind: str, community: Region, grids: list[Region] | None = None,
                       id_number: str = "", phone: str = "", occupation: str = "", is_party_member: bool = False,
                       joined_on=None, user: User | None = None) -> GridWorker:
    if community is None or community.level != RegionLevel.COMMUNITY:
        raise ApplicationError(_("网格员须属于一个社区/村。"), field="community")
    if not can_edit_people_in(actor, community) or actor.role == Role.GRID_WORKER:
        raise PermissionDeniedError(_("您无权在此社区登记网格员。"))
    if kind not in WorkerKind.values:
        raise ApplicationError(_("未知的网格员类型。"), field="kind")
    _check_joined_on(joined_on)
    grids = grids or []
    _check_worker_grids(community, grids, kind)
    _check_grids_in_scope(actor, grids)
    id_number, phone = _clean_person_ids(id_number=id_number, phone=phone)
    worker = GridWorker(
        name=(name or "").strip(), kind=kind, community=community, id_number=id_number, phone=phone,
        id_number_hash=blind_index(id_number, purpose="id_number") if id_number else "",
        phone_hash=blind_index(phone, purpose="phone") if phone else "",
        gender=gender_from_id(id_number) if id_number else "",
        occupation=occupation, is_party_member=is_party_member, joined_on=joined_on, user=user,
    )
    if not worker.name:
        raise ApplicationError(_("请填写姓名。"), field="name")
    id_unique_check(worker, actor, worker=True)
    _full_clean(worker)
    worker.save()
    GridAssignment.objects.bulk_create(
        [GridAssignment(worker=worker, grid=g, is_primary=i == 0) for i, g in enumerate(grids)]
    )
    changes = diff({}, snapshot(worker, WORKER_FIELDS), secret_fields=SECRET_FIELDS)
    changes["grids"] = [[], [g.code for g in grids]]
    audit_record(actor=actor, action="grid_worker.create", obj=worker, changes=changes)
    return worker


@transaction.atomic
def grid_worker_set_grids(*, actor, worker: GridWorker, grids: list[Region]) -> GridWorker:
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    if not can_edit_worker(actor, worker):
        raise PermissionDeniedError(_("您无权调整此网格员。"))
    _check_worker_grids(worker.community, grids, worker.kind)
    _check_grids_in_scope(actor, grids)
    before = sorted(worker.grids.values_list("code", flat=True))
    worker.assignments.all().delete()
    GridAssignment.objects.bulk_create(
        [GridAssignment(worker=worker, grid=g, is_primary=i == 0) for i, g in enumerate(grids)]
    )
    after = sorted(g.code for g in grids)
    worker.save(update_fields=["updated_at"])  # a new version: an edit begun before this one sees it
    audit_record(actor=actor, action="grid_worker.set_grids", obj=worker, changes={"grids": [before, after]})
    return worker


def _worker_unchanged_check(worker: GridWorker, seen_version: datetime | None) -> None:
    edit_unchanged_check(worker, seen_version, what=_("网格员“%(name)s”的信息") % {"name": worker.name})


@transaction.atomic
def grid_worker_update(*, actor, worker: GridWorker, seen_version: datetime | None = None,
                       **values: Any) -> GridWorker:
    """Change the given fields; ``seen_version`` as for ``resident_update``."""
    allowed = {"name", "kind", "phone", "id_number", "occupation", "is_party_member", "active", "joined_on"}
    editable_fields_check(values, allowed)
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    if not can_edit_worker(actor, worker):
        raise PermissionDeniedError(str(WORKER_EDIT_REFUSAL))
    _worker_unchanged_check(worker, seen_version)
    before = snapshot(worker, WORKER_FIELDS)
    if "id_number" in values or "phone" in values:
        id_number, phone = _clean_person_ids(id_number=values.get("id_number", worker.id_number),
                                             phone=values.get("phone", worker.phone))
        worker.id_number, worker.phone = id_number, phone
        worker.id_number_hash = blind_index(id_number, purpose="id_number") if id_number else ""
        worker.phone_hash = blind_index(phone, purpose="phone") if phone else ""
        if id_number:  # as on create (and for residents): the gender is the ID number's
            worker.gender = gender_from_id(id_number)
        id_unique_check(worker, actor, worker=True)
    for field in ("name", "kind", "occupation", "is_party_member", "active", "joined_on"):
        if field in values:
            setattr(worker, field, values[field])
    if worker.kind not in WorkerKind.values:
        raise ApplicationError(_("未知的网格员类型。"), field="kind")
    if "joined_on" in values:
        _check_joined_on(worker.joined_on)
    if worker.kind != before["kind"]:  # a special worker's grids in other communities must go first
        _check_worker_grids(worker.community, list(worker.grids.all()), worker.kind)
    _full_clean(worker)
    worker.save()
    changes = diff(before, snapshot(worker, WORKER_FIELDS), secret_fields=SECRET_FIELDS)
    if changes:
        audit_record(actor=actor, action="grid_worker.update", obj=worker, changes=changes)
    return worker


@transaction.atomic
def grid_worker_edit(*, actor, worker: GridWorker, grids: list[Region] | None = None,
                     seen_version: datetime | None = None, **values: Any) -> GridWorker:
    """The edit page's save: ``grid_worker_update`` and, when ``grids`` is given (they changed),
    ``grid_worker_set_grids``, all or nothing. The order follows the kind rule: a worker becoming
    特聘 may then take other communities' grids; one staying or becoming 专职/兼职 gives them up first.
    ``seen_version`` is checked once, before either step, on the locked row."""
    locked = GridWorker.objects.select_for_update().get(pk=worker.pk)
    if can_edit_worker(actor, locked):  # (refused: the steps below say why)
        _worker_unchanged_check(locked, seen_version)
    if grids is not None and values.get("kind", worker.kind) != WorkerKind.SPECIAL:
        grid_worker_set_grids(actor=actor, worker=worker, grids=grids)
        grids = None
    worker = grid_worker_update(actor=actor, worker=worker, **values)
    if grids is not None:
        worker = grid_worker_set_grids(actor=actor, worker=worker, grids=grids)
    return worker
