"""Data scope: one mechanism narrows every queryset to what the actor may see.

A scoped model declares where its region path is (``scope_path_lookup``, e.g. ``"grid__path"``)
and whether it holds personal data (``scope_personal = True``). The actor (``people.User``)
answers which region subtrees it covers for such a model (``scope_paths``). Everything a page,
an export, a count or the API shows goes through ``restrict``; direct access by id goes through
``get_scoped_or_404`` so an object out of scope is indistinguishable from one that does not exist.

An account bound to grids (a grid worker) covers paths below the community a grid worker record
belongs to; such a model names also where it works (``scope_grid_lookup``, e.g.
``"assignments__grid__path"``), and for those accounts a record working in one of their grids is in
scope too: a grid worker sees the workers who share a grid with them (themself included).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from .context import out_of_scope_note
from .errors import NotFoundError


def is_active_account(actor) -> bool:
    """A signed-in account that is enabled: the first thing every permission and scope check asks
    (None, an anonymous visitor and a disabled account are refused alike)."""
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def scope_q(model: type[models.Model], actor) -> Q | None:
    """The filter for ``actor`` on ``model``; None means nothing is visible."""
    if not is_active_account(actor):
        return None
    lookup = getattr(model, "scope_path_lookup", None)
    if lookup is None:
        raise TypeError(f"{model.__name__} declares no scope_path_lookup; it cannot be scoped")
    paths = actor.scope_paths(personal=getattr(model, "scope_personal", False))
    if not paths:
        return None
    if "/" in paths:
        return Q()
    q = _under(lookup, paths)
    grid_lookup = getattr(model, "scope_grid_lookup", None)
    if grid_lookup is not None and getattr(actor, "scope_is_grids", False):
        # a subquery, not a join: a record working in two of the grids stays one row
        q |= Q(pk__in=model._default_manager.filter(_under(grid_lookup, paths)).values("pk"))
    return q


def _under(lookup: str, paths: list[str]) -> Q:
    q = Q()
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def restrict(qs: models.QuerySet, actor) -> models.QuerySet:
    q = scope_q(qs.model, actor)
    if q is None:
        return qs.none()
    return qs.filter(q)


def get_scoped_or_404(qs: models.QuerySet, actor, **lookup):
    """The record, or 404 — the same for one out of scope as for one that does not exist. Asking for
    a record that exists outside one's scope is noted for the refusal's audit record (``core.denials``:
    someone trying ids is a security event); that costs one more query, on a miss only."""
    obj = restrict(qs, actor).filter(**lookup).first()
    if obj is None:
        if is_active_account(actor) and qs.model._default_manager.filter(**lookup).exists():
            args = " ".join(f"{k}={v}" for k, v in sorted(lookup.items()))
            out_of_scope_note(f"{qs.model._meta.label_lower} {args}"[:200])
        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    return obj


def in_scope(obj: models.Model, actor) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), actor).exists()
