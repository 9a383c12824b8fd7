"""Forms of the events pages: parsing only; the services decide."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.uploads import PhotoField
from jiceng.core.validators import contact_phone_error, phone_normalise
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .choices import Channel, EventState, Rating, UnitKind
from .selectors import category_options
from .tracking import NUMBER_PATTERN, number_normalise
from .units import Unit

PHOTO_HELP = _("可选，JPG/PNG，系统会去除照片中的位置信息。")


class CaseNumberField(forms.RegexField):
    """A case number as pasted: spaces around or inside it are dropped before it is checked."""

    def __init__(self, **kwargs):
        super().__init__(regex=NUMBER_PATTERN, max_length=40, **kwargs)

    def to_python(self, value):
        return number_normalise(super().to_python(value))


class PhoneField(forms.CharField):
    """A phone as typed ("138-1234-5678", "+86 138 1234 5678", "0571-8888 6666"): a mobile's 11 digits
    or a fixed line's digits with its area code, the way the reporter's phone is stored and matched
    (``core.validators.phone_normalise``, ``contact_phone_error``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
        super().__init__(max_length=30, **kwargs)

    def to_python(self, value):
        return phone_normalise(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        error = contact_phone_error(value) if value else None
        if error:  # with the other fields' errors, not after them (the service checks again)
            raise forms.ValidationError(error, code="invalid")


_POINT_REQUIRED = _("请在地图上点选问题所在的位置（或点“定位到当前位置”），也可直接填写经纬度。")


def _categories():
    return [("", "—")] + [(c.code, f"{'　' * c.depth}{c.name}") for c in category_options()]


class ReportForm(forms.Form):
    """群众上报 / 网格员巡查上报。"""

    category = forms.ChoiceField(label=_("问题类型"), choices=())
    description = forms.CharField(label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    lng = forms.FloatField(label=_("经度"), min_value=-180, max_value=180,
                           error_messages={"required": _POINT_REQUIRED})
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90,
                           error_messages={"required": _POINT_REQUIRED})
    address = forms.CharField(label=_("地点"), max_length=200, required=False)
    photo = PhotoField(label=_("照片"), required=False, help_text=PHOTO_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _categories()

    def clean(self):
        data = super().clean()
        # one word about the point, not the same under both coordinates
        if "lng" in self.errors and "lat" in self.errors and str(_POINT_REQUIRED) in self.errors["lng"]:
            self.errors.pop("lat")
        if self.files.get("photo") and self.errors and "photo" not in self.errors:  # a file input cannot be filled in again
            self.add_error("photo", _("请重新选择照片：表单有误时浏览器不会保留已选的文件。"))
        return data


class PublicReportForm(ReportForm):
    reporter_name = forms.CharField(label=_("姓名（可不填）"), max_length=50, required=False)
    reporter_phone = PhoneField(label=_("联系电话"))
    website = forms.CharField(label=_("请留空"), max_length=200, required=False)  # honeypot


class NearbyForm(forms.Form):
    category = forms.CharField(max_length=32)
    lng = forms.FloatField(min_value=-180, max_value=180)
    lat = forms.FloatField(min_value=-90, max_value=90)


class JoinForm(forms.Form):
    number = CaseNumberField(label=_("案件编号"),
                             error_messages={"required": _("请选择是哪一件。"), "invalid": _("案件编号无效。")})
    name = forms.CharField(label=_("姓名（可不填）"), max_length=50, required=False)
    phone = PhoneField(label=_("联系电话"))
    note = forms.CharField(label=_("补充说明（可不填）"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class FollowForm(forms.Form):
    number = CaseNumberField(label=_("案件编号"), error_messages={"invalid": _("案件编号为 15 位以上的数字。")})
    phone = PhoneField(label=_("上报时留的电话"))


class RateForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=300)
    rating = forms.ChoiceField(label=_("评价"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("意见"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ActionForm(forms.Form):
    note = forms.CharField(label=_("意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = PhotoField(label=_("照片"), required=False, help_text=PHOTO_HELP)
    rating = forms.ChoiceField(label=_("评价"), choices=Rating.choices, required=False)


# --- the forms that pick a unit, departments or a master case ---------------------------------------
# The view gives each the choices the actor may pick for this case; a value outside them is a form
# error (400), and the service checks again.


def _unit_label(unit: Unit) -> str:
    if unit.kind == UnitKind.DEPARTMENT:
        return unit.name
    return f"{RegionLevel(unit.region.level).label}：{unit.name}"


class UnitForm(forms.Form):
    """改派 / 审定: one of the units serving the case's place."""

    unit = forms.ChoiceField(label=_("处置单位"), choices=())
    note = forms.CharField(label=_("意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.key: u for u in units}
        regions = [(u.key, _unit_label(u)) for u in units if u.kind == UnitKind.REGION]
        departments = [(u.key, _unit_label(u)) for u in units if u.kind == UnitKind.DEPARTMENT]
        self.fields["unit"].choices = [("", "—")] + [
            (group, rows) for group, rows in ((_("属地"), regions), (_("部门"), departments)) if rows]

    def clean_unit(self) -> Unit:
        return self.units[self.cleaned_data["unit"]]


class WhistleForm(forms.Form):
    """吹哨: one or more departments serving the case's area, and why."""

    departments = forms.MultipleChoiceField(label=_("报到部门"), choices=(), widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = {str(d.pk): d for d in departments}
        self.fields["departments"].choices = [(str(d.pk), d.name) for d in departments]

    def clean_departments(self) -> list:
        return [self.departments[pk] for pk in self.cleaned_data["departments"]]


class MergeForm(forms.Form):
    """合并: the number of the master case (one of the nearby cases offered, or any the actor sees)."""

    master = CaseNumberField(label=_("主事件编号"), error_messages={"invalid": _("案件编号为 15 位以上的数字。")})
    note = forms.CharField(label=_("意见"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, masters, **kwargs):
        super().__init__(*args, **kwargs)
        self.masters = masters  # the cases the actor sees

    def clean_master(self):
        number = self.cleaned_data["master"]
        found = self.masters.filter(pk=int(number[8:])).first()
        if found is None or found.number != number:
            raise forms.ValidationError(_("未找到该主事件，或不在您的管辖范围内。"))
        return found


class WhistleNoteForm(forms.Form):
    """报到 (the note may be empty) / 部门反馈 (what the department did)."""

    note = forms.CharField(label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


REGION_FILTER_MAX = 3000  # beyond this many streets and communities in scope, the filter offers streets only


# The console's queues (its tiles): each opens the list of the cases it counts.
QUEUES = (("accept", _("待受理/待派遣")), ("handle", _("处置中")), ("verify", _("待核查")), ("late", _("超期未办结")))


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("编号/标题"), max_length=100, required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(EventState.choices))
    category = forms.ChoiceField(label=_("分类"), required=False, choices=())
    region = forms.TypedChoiceField(label=_("区域"), required=False, coerce=int, empty_value=None, choices=())
    channel = forms.ChoiceField(label=_("来源"), required=False, choices=[("", _("全部"))] + list(Channel.choices))
    reported_from = forms.DateField(label=_("上报日期从"), required=False,
                                    widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    reported_to = forms.DateField(label=_("至"), required=False,
                                  widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("只看曾超期"), required=False,
                                 help_text=_("任一环节超过时限的，含已经办完的环节；“超期未办结”只计当前环节超期的。"))
    open_only = forms.BooleanField(label=_("只看未办结"), required=False)
    queue = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[("", "")] + list(QUEUES))

    def __init__(self, *args, regions=(), chosen: Region | None = None, **kwargs):
        """``regions``: the streets and communities the viewer may filter by, in tree order;
        ``chosen``: a region in the viewer's scope asked for by address (a bubble of the map: a
        community of a province, a grid) that the list does not hold — offered too."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _categories()
        regions = list(regions)
        if len(regions) > REGION_FILTER_MAX:
            top = min(r.level for r in regions)
            regions = [r for r in regions if r.level == top]
        if chosen is not None and all(r.pk != chosen.pk for r in regions):
            regions.append(chosen)
        top = min((r.level for r in regions), default=0)
        self.fields["region"].choices = [("", "—")] + [(r.pk, f"{'　' * (r.level - top)}{r.name}") for r in regions]
        if len(regions) <= 1:
            del self.fields["region"]  # a community or a grid worker: nothing to choose

    def clean(self):
        data = super().clean()
        start, end = data.get("reported_from"), data.get("reported_to")
        if start and end and end < start:
            self.add_error("reported_to", _("结束日期不能早于开始日期。"))
        return data


# --- the numbers page ---------------------------------------------------------------------------

PERIOD_PRESETS = (("month", _("本月")), ("last_month", _("上月")), ("quarter", _("本季度")), ("year", _("本年")),
                  ("last_year", _("上年")), ("12m", _("近12个月")))
BREAKDOWNS = (("region", _("按下级区域")), ("category", _("按事项分类")), ("department", _("按处置部门")),
              ("month", _("按月")))
MAX_SPAN_DAYS = 366 * 5


def preset_range(key: str, today: date) -> tuple[date, date]:
    """[start, end) of a preset period that holds ``today`` (本月 … 本年 run to today included)."""
    tomorrow = today + timedelta(days=1)
    if key == "month":
        return today.replace(day=1), tomorrow
    if key == "last_month":
        end = today.replace(day=1)
        return (end - timedelta(days=1)).replace(day=1), end
    if key == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), tomorrow
    if key == "year":
        return date(today.year, 1, 1), tomorrow
    if key == "last_year":
        return date(today.year - 1, 1, 1), date(today.year, 1, 1)
    if key == "12m":
        months = today.year * 12 + today.month - 1 - 11  # the month eleven months back
        return date(months // 12, months % 12 + 1, 1), tomorrow
    raise KeyError(key)


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class NumbersForm(forms.Form):
    """The question of the numbers page: a period (a preset, or start and end both included), a region
    (chosen by drilling down; the view checks it is in scope), a category, a handling department and
    how to break the numbers down."""

    period = forms.ChoiceField(label=_("时段"), required=False, choices=PERIOD_PRESETS)
    start = forms.DateField(label=_("开始日期"), required=False, widget=_date_input())
    end = forms.DateField(label=_("结束日期（含）"), required=False, widget=_date_input())
    category = forms.ChoiceField(label=_("事项分类"), required=False, choices=())
    department = forms.ChoiceField(label=_("处置部门"), required=False, choices=())
    by = forms.ChoiceField(label=_("分组"), required=False, choices=BREAKDOWNS)
    region = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, today: date, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.departments = today, departments
        self.fields["category"].choices = _categories()
        self.fields["department"].choices = [("", "—"), ("0", _("属地处置（社区、街道）"))] + [
            (str(d.pk), d.name) for d in departments]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if start is None and end is None:
            data["period"] = data.get("period") or "year"
            data["start"], data["end_excl"] = preset_range(data["period"], self.today)
            data["end"] = data["end_excl"] - timedelta(days=1)
            return data
        if start is None or end is None:
            self.add_error("start" if start is None else "end", _("请同时填写开始和结束日期。"))
            return data
        if end < start:
            self.add_error("end", _("结束日期不能早于开始日期。"))
            return data
        if (end - start).days >= MAX_SPAN_DAYS:
            self.add_error("end", _("统计时段最长五年。"))
            return data
        data["end_excl"] = end + timedelta(days=1)
        data["period"] = ""
        return data
