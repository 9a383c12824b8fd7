"""The one built-in automatic indicator, a simple example for others to follow."""

from __future__ import annotations

from decimal import Decimal

from . import registry
from .choices import SubjectType


def assigned_grids(subject, start, end) -> tuple[Decimal, dict]:
    """Number of grids an assessed grid worker is responsible for (0 for other subjects)."""
    from jiceng.people.models import GridAssignment

    if subject.subject_type != SubjectType.GRID_WORKER:
        return Decimal(0), {"note": "考核对象不是网格员"}
    rows = list(GridAssignment.objects.filter(worker_id=subject.subject_id).order_by("grid__path")
                .values_list("grid_id", "grid__name"))
    return Decimal(len(rows)), {"grid_ids": [r[0] for r in rows], "grids": [r[1] for r in rows],
                                "links": [f"/regions/{r[0]}/" for r in rows]}


registry.register("people.assigned_grids", assigned_grids, label="负责网格数")
