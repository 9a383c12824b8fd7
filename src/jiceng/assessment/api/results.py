"""A result explained: its inputs and arithmetic, its subject's appeals, and its earlier versions."""

from __future__ import annotations

from typing import Any

from jiceng.core.api_schemas import READ_ERRORS, Error, ObjectId

from .. import selectors
from .common import _jsonable, appeal_out, router, version_out
from .schemas import AppealRow, ResultVersionOut


@router.get("/results/{id}/explain", response={200: dict[str, Any], READ_ERRORS: Error}, summary="得分说明",
            description="一个得分背后的一切：各指标原始输入、评分组小计与权重、加减分、逐行算式、等次和名次，"
                        "以及按存档输入重算的核对结果（verified）。匿名组不含评分人。")
def result_explain(request, id: ObjectId):  # type: ignore[valid-type]
    result = selectors.result_get(request.auth, id)
    return _jsonable(selectors.result_explain(request.auth, result))


@router.get("/results/{id}/appeals", response={200: list[AppealRow], READ_ERRORS: Error}, summary="申诉与复核意见",
            description="该结果的考核对象在本期的申诉：状态（待复核、已复核：维持、已复核：调整）和复核意见。"
                        "被考核人本人和管理者可看；复核意见在复核后公布前只有管理者能看到。")
def result_appeals(request, id: ObjectId):  # type: ignore[valid-type]
    result = selectors.result_get(request.auth, id)
    return [appeal_out(a) for a in selectors.subject_appeals(request.auth, result.subject)]


@router.get("/results/{id}/history", response={200: list[ResultVersionOut], READ_ERRORS: Error},
            summary="得分版本历史", description="同一考核对象在该考核期的全部结果版本（含申诉复核后被取代的版本）。")
def result_history(request, id: ObjectId):  # type: ignore[valid-type]
    result = selectors.result_get(request.auth, id)
    return [version_out(r) for r in selectors.result_history(request.auth, result)]
