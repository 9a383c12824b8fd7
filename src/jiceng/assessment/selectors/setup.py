"""Setting up a round: who may be assessed, who may rate — the regions a scheme may belong to, the
candidates, and a period's subjects and raters as its managers see them."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from jiceng.core.scope import is_active_account, restrict

from .. import workflow
from ..models import AssessmentPeriod, AssessmentScheme

SETUP_LEVELS = (1, 2, 3, 4)  # 市, 区县, 街道/乡镇, 社区/村: a scheme belongs to one of these (never a grid)


def setup_regions(actor, within=None) -> QuerySet:
    """Regions (市 … 社区/村) in the actor's scope — under ``within`` when given — that a scheme may
    belong to, or that subjects may be added from in bulk."""
    from jiceng.regions.models import Region

    qs = restrict(Region.objects.filter(level__in=SETUP_LEVELS), actor)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    return qs.order_by("path")


def subject_candidates(actor, scheme: AssessmentScheme, region=None) -> QuerySet:
    """Whom a scheme may assess, for one of its managers: the objects of its subject type under its
    region (and under ``region`` when given) that still qualify — a grid worker in post, an active
    community staff account (社区工作者 and 社区书记 alike: accounts carry no post), a community, a
    street, a property-service company, a department. Nothing for anyone else."""
    from jiceng.people.choices import Role
    from jiceng.people.models import Department, GridWorker, User
    from jiceng.regions.choices import OrganisationKind, RegionLevel
    from jiceng.regions.models import Organisation, Region

    from ..choices import SubjectType

    kind = scheme.subject_type
    if kind == SubjectType.GRID_WORKER:
        qs, lookup = GridWorker.objects.filter(active=True).select_related("community", "user"), "community__path"
    elif kind in (SubjectType.STAFF, SubjectType.SECRETARY):
        qs = User.objects.filter(is_active=True, role=Role.COMMUNITY_STAFF).select_related("region")
        lookup = "region__path"
    elif kind in (SubjectType.COMMUNITY, SubjectType.STREET):
        level = RegionLevel.COMMUNITY if kind == SubjectType.COMMUNITY else RegionLevel.STREET
        qs, lookup = Region.objects.filter(level=level), "path"
    elif kind == SubjectType.PROPERTY:
        qs, lookup = Organisation.objects.filter(kind=OrganisationKind.PROPERTY).select_related("grid"), "grid__path"
    else:
        qs, lookup = Department.objects.select_related("region"), "region__path"
    if not workflow.is_manager(actor, scheme):
        return qs.none()
    qs = qs.filter(**{f"{lookup}__startswith": scheme.region.path})
    if region is not None:
        qs = qs.filter(**{f"{lookup}__startswith": region.path})
    name = "full_name" if kind in (SubjectType.STAFF, SubjectType.SECRETARY) else "name"
    return qs.order_by(lookup, name, "pk")


def rater_candidates(actor) -> QuerySet:
    """Accounts the actor may name as raters: active staff, department staff and grid workers of the
    actor's region subtree (never the admin roles or residents)."""
    from django.db.models import Q

    from jiceng.people.choices import REGION_STAFF_ROLES, Role
    from jiceng.people.models import User

    if not is_active_account(actor):
        return User.objects.none()
    paths = actor.scope_paths(personal=False)
    qs = User.objects.filter(is_active=True, role__in=[*REGION_STAFF_ROLES, Role.DEPARTMENT_STAFF, Role.GRID_WORKER])
    if not paths:
        return qs.none()
    if "/" not in paths:
        q = Q()
        for path in paths:
            q |= (Q(region__path__startswith=path) | Q(department__region__path__startswith=path)
                  | Q(grid_worker__community__path__startswith=path))
        qs = qs.filter(q)
    return qs.select_related("region", "department").order_by("full_name", "username", "pk")


def period_subject_rows(actor, period: AssessmentPeriod) -> QuerySet:
    """A period's subjects for its managers, each with how many rater assignments and saved ratings
    it has (a subject with ratings cannot be removed)."""
    from django.db.models import Count

    if not workflow.is_manager(actor, period.scheme):
        return period.subjects.none()
    return (period.subjects.select_related("user")
            .annotate(assignment_count=Count("assignments", distinct=True),
                      rating_count=Count("assignments__rating", distinct=True))
            .order_by("peer_group", "display_name", "id"))


def period_rater_rows(actor, period: AssessmentPeriod) -> list[dict]:
    """For its managers, a period's raters by group: each rater with the number of subjects they rate
    and of ratings already saved (a rater with ratings cannot be removed)."""
    from django.db.models import Count

    from jiceng.people.models import User

    if not workflow.is_manager(actor, period.scheme):
        return []
    counts = (period.assignments.values("group_id", "rater_id")
              .annotate(subjects=Count("id"), ratings=Count("rating")).order_by())
    by_group: dict[int, list[dict]] = defaultdict(list)
    users = User.objects.in_bulk({c["rater_id"] for c in counts})
    for c in counts:
        by_group[c["group_id"]].append({"rater": users[c["rater_id"]], "subjects": c["subjects"],
                                        "ratings": c["ratings"]})
    return [{"group": g, "raters": sorted(by_group.get(g.pk, []),
                                          key=lambda r: (str(r["rater"]), r["rater"].pk))}
            for g in period.version.groups.order_by("order", "id")]
