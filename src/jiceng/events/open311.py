"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Categories are the services (their code is the service_code), cases are the requests (status
``open`` while the case is in an open state, otherwise ``closed``; the case number is the
service_request_id). POST needs an ``api_key``, which is an API token of a hotline operator's
account (``jiceng open311-key NAME --user USERNAME``): the case enters on the hotline channel under
that account, so its scope and the workflow's rules apply. Errors use the spec's format.

Reading requests also needs an ``api_key`` by default and answers only the cases in that key's
scope: an open list of every case with its address and number would undo the anti-enumeration of
the residents' follow page. A county that wants a public 311 feed sets
``JICENG_OPEN311_PUBLIC_READS=true``; anonymous readers then get the cases without the street
address (the grid's name instead) and never the reporter. The services list is always public.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET  # noqa: S405 (we only write XML, never parse it)

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jiceng.core.errors import ApplicationError, PermissionDeniedError, RateLimitedError
from jiceng.core.models import ApiToken
from jiceng.core.ratelimit import enforce

from . import services
from .choices import OPEN_STATES, Channel
from .models import Event, EventCategory
from .selectors import event_visible
from .tracking import NUMBER_PATTERN

FORMATS = ("json", "xml")
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


# --- rendering ----------------------------------------------------------------------------------


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        for key, value in row.items():
            if isinstance(value, list):
                holder = ET.SubElement(node, key)
                for entry in value:
                    ET.SubElement(holder, "value").text = str(entry)
                continue
            child = ET.SubElement(node, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def _respond(fmt: str, root: str, item: str, rows: list[dict], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(_xml(root, item, rows), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(fmt, "errors", "error", [{"code": status, "description": description}], status=status)


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _service(cat: EventCategory) -> dict:
    return {"service_code": cat.code, "service_name": cat.name, "description": cat.description or cat.name,
            "metadata": False, "type": "realtime", "keywords": "",
            "group": cat.parent.name if cat.parent_id else cat.name}


def _request(e: Event, *, public: bool = False) -> dict:
    """One case as a service request. The public feed carries no free text a resident typed (the
    title may hold a home address), the grid instead of the address, and the point to ~100 m."""
    is_open = e.state in OPEN_STATES
    return {
        "service_request_id": e.number, "status": "open" if is_open else "closed",
        "status_notes": e.get_state_display(), "service_name": e.category.name, "service_code": e.category.code,
        "description": e.category.name if public else e.title, "agency_responsible": e.handler_name,
        "service_notice": "", "requested_datetime": _iso(e.reported_at), "updated_datetime": _iso(e.updated_at),
        "expected_datetime": _iso(e.handle_due_at), "address": e.grid.name if public else (e.address or e.grid.name),
        "address_id": "", "zipcode": "", "lat": _coarse(e.lat) if public else e.lat,
        "long": _coarse(e.lng) if public else e.lng, "media_url": "",
    }


def _coarse(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


# --- views --------------------------------------------------------------------------------------


def _limit(request) -> None:
    enforce("open311.ip", request.META.get("REMOTE_ADDR", "") or "unknown",
            limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)


def _guard(view):
    """Spec-format errors for the application's errors, and the format checked once."""

    def wrapped(request, *args, fmt: str, **kwargs):
        if fmt not in FORMATS:
            return _error("json", 404, _("不支持的格式（json 或 xml）。"))
        try:
            _limit(request)
            return view(request, *args, fmt=fmt, **kwargs)
        except RateLimitedError as exc:
            return _error(fmt, 429, exc.message)
        except ApplicationError as exc:
            return _error(fmt, exc.status, exc.message)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_http_methods(["GET"])
@_guard
def service_list(request, *, fmt: str):
    cats = EventCategory.objects.filter(active=True).select_related("parent").order_by("path")
    return _respond(fmt, "services", "service", [_service(c) for c in cats])


@require_http_methods(["GET"])
@_guard
def service_definition(request, code: str, *, fmt: str):
    cat = EventCategory.objects.filter(code=code, active=True).first()
    if cat is None:
        return _error(fmt, 404, _("未知的服务代码（service_code）。"))
    # No extra attributes: every category takes the same fields.
    body = {"service_code": cat.code, "attributes": []}
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = cat.code
        ET.SubElement(top, "attributes")
        return HttpResponse(b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8"),
                            content_type="text/xml; charset=utf-8")
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _readable(request) -> tuple[QuerySet[Event], bool]:
    """(the cases this reader may see, whether the reader is anonymous). A valid ``api_key`` sees
    its account's scope; without one, the public feed if the county enabled it, else 403."""
    user = _key_user(request.GET.get("api_key", ""))
    if user is not None:
        return event_visible(user), False
    if settings.JICENG_OPEN311_PUBLIC_READS:
        return Event.objects.select_related("category", "grid", "handler_region", "handler_department"), True
    raise PermissionDeniedError(_("查询服务请求需要有效的 api_key。"))


def _by_number(qs: QuerySet[Event], number: str) -> Event | None:
    number = (number or "").strip()
    if not re.fullmatch(NUMBER_PATTERN, number):
        return None
    event = qs.filter(pk=int(number[8:])).first()
    return event if event is not None and event.number == number else None


def _moment(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ApplicationError(_("%(name)s 须为 W3C 日期时间格式（如 2025-03-01T00:00:00+08:00）。") % {"name": name})
    if not 2000 <= parsed.year <= 2100:
        raise ApplicationError(_("%(name)s 须在 2000～2100 年之间。") % {"name": name})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _requests_get(request, fmt: str) -> HttpResponse:
    qs, public = _readable(request)
    ids = [i for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        found = [e for e in (_by_number(qs, i) for i in ids[:MAX_REQUESTS]) if e is not None]
        return _respond(fmt, "service_requests", "request", [_request(e, public=public) for e in found])
    codes = [c for c in request.GET.get("service_code", "").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__code__in=codes)
    start = _moment(request.GET.get("start_date", ""), "start_date")
    end = _moment(request.GET.get("end_date", ""), "end_date")
    if start is None and end is None:
        start = timezone.now() - timedelta(days=DEFAULT_DAYS)
    if start is not None:
        qs = qs.filter(reported_at__gte=start)
    if end is not None:
        qs = qs.filter(reported_at__lte=end)
    status = request.GET.get("status", "")
    wanted = {s.strip() for s in status.split(",") if s.strip()}
    if wanted - {"open", "closed"}:
        raise ApplicationError(_("status 只能是 open 或 closed。"))
    if wanted == {"open"}:
        qs = qs.filter(state__in=list(OPEN_STATES))
    elif wanted == {"closed"}:
        qs = qs.exclude(state__in=list(OPEN_STATES))
    rows = qs.order_by("-reported_at", "-id")[:MAX_REQUESTS]
    return _respond(fmt, "service_requests", "request", [_request(e, public=public) for e in rows])


def _key_user(api_key: str):
    if not api_key:
        return None
    row = ApiToken.objects.select_related("user").filter(
        token_hash=hashlib.sha256(api_key.encode()).hexdigest(), revoked=False).first()
    if row is None or not row.user.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return None
    return row.user


def _requests_post(request, fmt: str) -> HttpResponse:
    data = request.POST
    user = _key_user(data.get("api_key", ""))
    if user is None:
        return _error(fmt, 403, _("api_key 无效或缺失。"))
    if not data.get("service_code"):
        return _error(fmt, 400, _("缺少 service_code。"))
    name = f"{data.get('last_name', '')}{data.get('first_name', '')}".strip()
    event = services.event_create(
        channel=Channel.HOTLINE, category=data.get("service_code", ""),
        description=data.get("description", ""), lng=data.get("long") or None, lat=data.get("lat") or None,
        address=data.get("address_string", ""), reporter_name=name, reporter_phone=data.get("phone", ""),
        actor=user, source_ref=f"open311:{data.get('device_id', '')}"[:100],
        idempotency_key=f"open311:{data['token']}" if data.get("token") else None,
    )
    body = [{"service_request_id": event.number, "service_notice": _("已收到，将按时限办理。"), "account_id": None}]
    return _respond(fmt, "service_requests", "request", body, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_guard
def request_list(request, *, fmt: str):
    if request.method == "POST":
        return _requests_post(request, fmt)
    return _requests_get(request, fmt)


@require_http_methods(["GET"])
@_guard
def request_detail(request, number: str, *, fmt: str):
    qs, public = _readable(request)
    event = _by_number(qs, number)
    if event is None:
        return _error(fmt, 404, _("未找到该服务请求。"))
    return _respond(fmt, "service_requests", "request", [_request(event, public=public)])


app_name = "open311"
urlpatterns = [
    path("services.<str:fmt>", service_list, name="services"),
    path("services/<str:code>.<str:fmt>", service_definition, name="service"),
    path("requests.<str:fmt>", request_list, name="requests"),
    path("requests/<str:number>.<str:fmt>", request_detail, name="request"),
]
