"""Building blocks every API router shares: the error schema, bounded input types that match the
database's limits (so PostgreSQL never sees an out-of-range value), pagination and error sets."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from .errors import ConflictError, NotFoundError
from .paging import rows_by_ids
from .scope import restrict

INT32_MAX = 2_147_483_647
SMALLINT_MAX = 32_767
BIGINT_MAX = 9_223_372_036_854_775_807


class Error(Schema):
    """统一错误格式。"""

    code: str = Field(..., description="错误代码，如 invalid、forbidden、not_found、no_grid、conflict、unauthenticated")
    message: str = Field(..., description="给人看的中文说明")
    field: str | None = Field(None, description="出错的输入字段（如有）")
    errors: dict[str, Any] | list[Any] | None = Field(
        None, description="逐字段的错误（字段 → 说明列表），或导入时逐行的错误列表")


def _reject_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(_("须为数字，不能是布尔值"))
    return value


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("不能包含空字符（\\u0000）"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(_("包含无法编码的字符")) from exc
    return value


# Said in the schema too, so clients (and the fuzzer) know NUL is refused before they send it.
NO_NUL_PATTERN = r"^[^\x00]*$"


def text(max_length: int, *, min_length: int = 0, description: str = "", pattern: str | None = None):
    """A string with a database-sized length limit and no NUL (PostgreSQL refuses NUL in text)."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, description=description,
                                pattern=pattern or NO_NUL_PATTERN), AfterValidator(_clean_text)]


def bounded_int(ge: int, le: int, description: str = ""):
    """An integer within the database column's range; JSON true/false are refused, not read as 1/0."""
    return Annotated[int, Field(ge=ge, le=le, description=description), BeforeValidator(_reject_bool)]


def bounded_float(ge: float, le: float, description: str = ""):
    return Annotated[float, Field(ge=ge, le=le, allow_inf_nan=False, description=description),
                     BeforeValidator(_reject_bool)]


def _years_pattern(first: int, last: int) -> str:
    """A regex for ISO dates whose year lies in [first, last]: JSON Schema's minimum/maximum only
    apply to numbers, so the schema states a date's range through the year it starts with."""
    parts, year = [], first
    while year <= last:
        if year % 100 == 0 and year + 99 <= last:
            parts.append(f"{year // 100}\\d\\d")
            year += 100
        else:
            parts.append(str(year))
            year += 1
    return f"^({'|'.join(parts)})-"


def bounded_date(first_year: int, last_year: int, description: str = ""):
    """A date in years the product can hold (PostgreSQL and Python's date both end somewhere)."""
    return Annotated[date, Field(ge=date(first_year, 1, 1), le=date(last_year, 12, 31), description=description,
                                 json_schema_extra={"pattern": _years_pattern(first_year, last_year)})]


def _year_between(first: int, last: int):
    def check(value: datetime) -> datetime:
        if not first <= value.year <= last:
            raise ValueError(_("时间须在 %(first)s～%(last)s 年之间") % {"first": first, "last": last})
        return value
    return check


def bounded_datetime(first_year: int, last_year: int, description: str = ""):
    """A moment in years the product can hold (no overflow converting to UTC at the ends of time)."""
    return Annotated[datetime, Field(description=description,
                                     json_schema_extra={"pattern": _years_pattern(first_year, last_year)}),
                     AfterValidator(_year_between(first_year, last_year))]


def _decimal_input(pattern: str):
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(_("须为数字，不能是布尔值"))
        if isinstance(value, str) and re.fullmatch(pattern, value) is None:
            raise ValueError(_("须为数字，或写成数字的字符串（如 \"12.5\"）"))
        return value
    return check


def bounded_decimal(whole_digits: int, *, places: int, description: str = ""):
    """A non-negative amount stored exactly (Decimal): up to ``whole_digits`` digits before the point
    and ``places`` after it, as a JSON number or as a string of digits (no float rounding). The schema
    states both spellings exactly, so what it admits is what the server accepts."""
    largest = Decimal(10) ** whole_digits - Decimal(1).scaleb(-places)
    pattern = rf"^\d{{1,{whole_digits}}}(\.\d{{1,{places}}})?$"
    return Annotated[Decimal, Field(ge=0, le=largest, max_digits=whole_digits + places, decimal_places=places,
                                    allow_inf_nan=False, description=description),
                     BeforeValidator(_decimal_input(pattern)),
                     WithJsonSchema({"anyOf": [
                         {"type": "number", "minimum": 0, "maximum": float(largest),
                          "multipleOf": float(Decimal(1).scaleb(-places))},
                         {"type": "string", "pattern": pattern},
                     ], "description": description})]


def strict_bool(description: str = ""):
    return Annotated[bool, Field(strict=True, description=description)]


def choice(enum_cls, description: str = ""):
    """A Literal of a TextChoices' values; the description lists their Chinese labels."""
    labels = "；".join(f"{value or '（空）'}={label}" for value, label in enum_cls.choices)
    return Annotated[Literal[tuple(enum_cls.values)], Field(description=f"{description}（{labels}）".strip())]


ObjectId = bounded_int(1, BIGINT_MAX, "记录 ID")
Level = bounded_int(1, 7, "层级：1 市，2 区县，3 街道/乡镇，4 社区/村，5 一级网格，6 二级网格，7 三级网格")
Lng = bounded_float(-180, 180, "经度（WGS84）")
Lat = bounded_float(-90, 90, "纬度（WGS84）")
CODE_PATTERN = r"^[0-9A-Za-z_-]{1,32}$"


class ExportOut(Schema):
    id: str = Field(..., description="导出文件 ID")
    url: str = Field(..., description="下载地址（GET，须以同一用户的令牌或会话访问，过期后 404）")
    filename: str = Field(..., description="文件名")
    rows: int = Field(..., description="导出的行数")
    expires_at: datetime = Field(..., description="下载链接过期时间")


EXPORT_CREATED_DESCRIPTION = ("导出只为调用者本人生成：返回一个短时有效的下载地址（默认 10 分钟），"
                              "只有同一用户可以下载，其他人访问得到 404。生成和每次下载都记入审计日志（含行数）。")

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An empty file is refused (bad_file) like any non-workbook, so the schema says it cannot be empty.
XLSX_UPLOAD = {"requestBody": {"content": {"multipart/form-data": {
    "schema": {"properties": {"file": {"minLength": 1}}},
    "encoding": {"file": {"contentType": XLSX_MEDIA_TYPE}}}}}}

XLSX_DOWNLOAD = {"responses": {200: {
    "description": "Excel 文件（.xlsx）",
    "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}}},
}}}

# 403 can answer any session request (an expired password); 401 any request without valid credentials;
# 404 a record named in the path, the query or the body that is outside the caller's scope (or absent).
LIST_ERRORS = frozenset({400, 401, 403, 404})
READ_ERRORS = frozenset({400, 401, 403, 404})
CREATE_ERRORS = frozenset({400, 401, 403, 404, 409})
WRITE_ERRORS = frozenset({400, 401, 403, 404, 409})


class ImportOut(Schema):
    dataset: str
    created: int = Field(..., description="新增的记录数")


class PageParams(Schema):
    limit: bounded_int(1, 200, "每页条数（1～200）") = 50  # type: ignore[valid-type]
    offset: bounded_int(0, INT32_MAX, "跳过的条数") = 0  # type: ignore[valid-type]


def paginate(qs: QuerySet, params: PageParams, render, *, count: int | None = None) -> dict:
    """One page of a queryset already narrowed to the caller's scope; ``count`` is the scoped total,
    counted here unless the caller knows it (a number's cases: the figure)."""
    count = qs.count() if count is None else count
    rows = rows_by_ids(qs, params.offset, params.limit) if params.offset < count else []
    return {"count": count, "limit": params.limit, "offset": params.offset, "items": [render(r) for r in rows]}


def write_conflict(exc: IntegrityError) -> ConflictError:
    """A unique constraint lost a race with a concurrent write (the services check first)."""
    return ConflictError(_("数据已被他人同时修改或编码重复，请刷新后重试。"))


def lookup_or_404(qs: QuerySet, actor, pk: int | None, *, field: str, label: str):
    """An id given in the query or the body: out of scope or missing answers 404, as it would in the
    path (the API's one rule for scope), with ``field`` naming the input that pointed at it."""
    if pk is None:
        return None
    obj = restrict(qs, actor).filter(pk=pk).first()
    if obj is None:
        raise NotFoundError(_("%(label)s（ID %(pk)s）不存在，或不在您的管辖范围内。") % {
            "label": label, "pk": pk}, field=field)
    return obj
