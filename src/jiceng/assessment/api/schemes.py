"""Reading schemes: the list within the caller's region, and a scheme with all its versions."""

from __future__ import annotations

from ninja import Query

from jiceng.core.api_schemas import LIST_ERRORS, READ_ERRORS, Error, ObjectId, PageParams, paginate

from .. import selectors
from .common import _jsonable, router, scheme_out
from .schemas import SchemeDetailOut, SchemePage


@router.get("/schemes", response={200: SchemePage, LIST_ERRORS: Error}, summary="考核方案列表",
            description="调用者管辖区域内的考核方案。")
def scheme_list(request, params: Query[PageParams]):
    return paginate(selectors.scheme_list(request.auth).order_by("name", "pk"), params, scheme_out)


@router.get("/schemes/{id}", response={200: SchemeDetailOut, READ_ERRORS: Error}, summary="考核方案详情",
            description="方案及其各版本的评分组、指标、等次分档和规则。")
def scheme_detail(request, id: ObjectId):  # type: ignore[valid-type]
    scheme = selectors.scheme_get(request.auth, id)
    versions = [{"number": v.number, "frozen": v.frozen, **_jsonable(selectors.scheme_version_definition(v))}
                for v in scheme.versions.order_by("number")]
    return {**scheme_out(scheme), "versions": versions}
